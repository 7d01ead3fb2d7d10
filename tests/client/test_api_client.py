"""The victim's HTTP client against the real service behind a proxy that fails on cue.

Pauses between attempts are recorded instead of slept, so the tests check which pauses the
client chose (backoff bounds, Retry-After) without waiting for them or timing anything.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest

from hashstop.client.api_client import (
    TIMEOUT,
    CaseClient,
    RetryPolicy,
    ServerFailed,
    ServerRefused,
    ServerUnreachable,
    new_idempotency_key,
    retry_after_seconds,
)
from tests import sample_hashes
from tests.client.conftest import LiveService, free_port
from tests.client.flaky_proxy import RunningProxy


def client_for(
    url: str, pauses: list[float], attempts: int = 4, timeout: httpx.Timeout = TIMEOUT
) -> CaseClient:
    return CaseClient(
        url, retry=RetryPolicy(attempts=attempts), timeout=timeout, sleep=pauses.append
    )


def fresh_hashes(seed: int) -> list[dict[str, Any]]:
    return [sample_hashes.pdq_entry(seed), {"algorithm": "md5", "value": sample_hashes.md5(seed)}]


HASHES = fresh_hashes(901)


def test_retry_after_is_honoured_and_the_case_opened_once(live_service: LiveService):
    pauses: list[float] = []
    before = live_service.count_cases()
    with RunningProxy(live_service.url) as proxy:
        proxy.fail("POST", "/v1/cases", "retry-after:2:503", "retry-after:1:429")
        with client_for(proxy.url, pauses) as client:
            opened = client.open_case(fresh_hashes(902), new_idempotency_key())
        assert len(proxy.requests("POST", "/v1/cases")) == 3
    assert pauses[0] >= 2 and pauses[1] >= 1 and len(pauses) == 2
    assert opened.accepted == 2 and not opened.replayed
    assert live_service.count_cases() == before + 1


def test_a_server_that_keeps_failing_is_given_up_with_its_detail(live_service):
    pauses: list[float] = []
    with RunningProxy(live_service.url) as proxy:
        proxy.fail("GET", "/v1/cases/", *["fail:500"] * 3)
        with client_for(proxy.url, pauses, attempts=3) as client, pytest.raises(ServerFailed) as e:
            client.get_case("abc", "hsc_AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
        assert len(proxy.requests("GET", "/v1/cases/")) == 3
    assert "answered 500: injected failure 500" in str(e.value) and e.value.status == 500
    assert len(pauses) == 2


def test_a_retry_after_longer_than_a_minute_is_not_waited_for(live_service):
    pauses: list[float] = []
    with RunningProxy(live_service.url) as proxy:
        proxy.fail("POST", "/v1/cases", "retry-after:3600:429")
        with client_for(proxy.url, pauses) as client, pytest.raises(ServerFailed) as e:
            client.open_case(HASHES, new_idempotency_key())
        assert len(proxy.requests("POST", "/v1/cases")) == 1
    assert "asks to wait 3600 s" in str(e.value) and pauses == []


def test_a_refusal_is_never_retried_and_carries_the_problem_detail(live_service):
    pauses: list[float] = []
    with RunningProxy(live_service.url) as proxy:
        with client_for(proxy.url, pauses) as client, pytest.raises(ServerRefused) as e:
            client.open_case(HASHES, "not-random")
        assert len(proxy.requests("POST", "/v1/cases")) == 1
    assert e.value.status == 422 and "Idempotency-Key is refused" in e.value.detail
    assert str(e.value) == e.value.detail and pauses == []


def test_a_timeout_after_the_case_was_opened_is_retried_into_the_same_case(live_service):
    pauses: list[float] = []
    before = live_service.count_cases()
    with RunningProxy(live_service.url) as proxy:
        proxy.fail("POST", "/v1/cases", "after:hang")
        with client_for(proxy.url, pauses, timeout=httpx.Timeout(1.0)) as client:
            opened = client.open_case(fresh_hashes(903), new_idempotency_key())
        assert len(proxy.requests("POST", "/v1/cases")) == 2
    assert opened.replayed and opened.accepted == 2 and len(pauses) == 1
    assert live_service.count_cases() == before + 1
    with CaseClient(live_service.url) as direct:
        assert direct.get_case(opened.case_id, opened.secret).hash_count == 2


def test_an_answer_that_is_not_the_api_is_said_so(live_service):
    with RunningProxy(live_service.url) as proxy:
        proxy.fail("GET", "/v1/cases/", "html")
        with client_for(proxy.url, []) as client, pytest.raises(ServerFailed) as e:
            client.get_case("abc", "hsc_AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
    assert "not what a hashstop server sends" in str(e.value)


def test_no_server_at_all_is_retried_with_growing_jittered_pauses():
    pauses: list[float] = []
    policy = RetryPolicy(attempts=5, base_delay=0.5, max_delay=2.0)
    url = f"http://127.0.0.1:{free_port()}"
    with CaseClient(url, retry=policy, sleep=pauses.append) as client:
        with pytest.raises(ServerUnreachable) as e:
            client.withdraw("abc", "hsc_AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
    assert not e.value.maybe_received and "no connection could be made, 5 tries" in str(e.value)
    ceilings = [0.5, 1.0, 2.0, 2.0]
    assert len(pauses) == 4
    assert all(c / 2 <= p <= c for p, c in zip(pauses, ceilings, strict=True))


def test_retry_after_values():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry_after_seconds(later) or 0) <= 31
    assert retry_after_seconds(email.utils.formatdate(0, usegmt=True)) == 0.0


def test_idempotency_keys_are_fresh_and_in_the_servers_format():
    keys = {new_idempotency_key() for _ in range(100)}
    assert len(keys) == 100 and all(len(k) == 43 for k in keys)
