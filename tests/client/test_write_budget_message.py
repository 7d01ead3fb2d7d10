"""Issue 12, attack 3: when a write budget refuses, the victim's client says so in one clear
line (the CLI prints this message), instead of retrying for an hour or failing obscurely."""

from __future__ import annotations

import pytest

from hashstop.client.api_client import (
    CaseClient,
    RetryPolicy,
    ServerFailed,
    ServerRefused,
    new_idempotency_key,
)
from tests import sample_hashes
from tests.web.live_service import running_service


def test_the_client_names_the_budget_and_the_wait(tmp_path):
    waits: list[float] = []
    with running_service(tmp_path, hashes_per_address_per_hour=100, max_photos_per_case=95) as live:
        with CaseClient(live.url, retry=RetryPolicy(attempts=3), sleep=waits.append) as client:
            hashes = [sample_hashes.pdq_entry(i) for i in range(90)]
            opened = client.open_case(hashes, new_idempotency_key())
            assert opened.accepted == 90
            more = [sample_hashes.pdq_entry(100 + i) for i in range(20)]
            with pytest.raises(ServerFailed) as refused:
                client.add_hashes(opened.case_id, opened.secret, more)
    message = str(refused.value)
    assert "\n" not in message
    assert "429" in message and "asks to wait" in message  # not retried for minutes
    assert "hashes from this address" in message and "100 an hour" in message
    assert waits == []


def test_a_full_case_is_a_one_line_refusal(tmp_path):
    with running_service(tmp_path, max_photos_per_case=3) as live:
        with CaseClient(live.url, sleep=lambda _s: None) as client:
            opened = client.open_case(
                [sample_hashes.pdq_entry(i) for i in range(3)], new_idempotency_key()
            )
            with pytest.raises(ServerRefused) as refused:
                client.add_hashes(opened.case_id, opened.secret, [sample_hashes.pdq_entry(9)])
    assert refused.value.status == 409
    assert "at most 3 photos" in str(refused.value) and "Open a new case" in str(refused.value)
