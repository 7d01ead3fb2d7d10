"""Liveness, readiness (index loaded and current) and the Prometheus metrics."""

from __future__ import annotations

import time

from hashstop.app import create_app
from tests import sample_hashes
from tests.service_fixtures import OPERATOR, bearer, make_settings, running_client


def test_readyz_is_503_until_the_index_is_loaded_and_while_it_lags(database_url):
    settings = make_settings(database_url, sync_stale_after=0.3)
    app = create_app(settings)
    runtime = app.state.runtime
    not_started = running_client(app)  # no lifespan: the sync thread never runs
    response = not_started.get("/readyz", headers=OPERATOR)
    assert response.status_code == 503 and "loading" in response.json()["detail"]
    assert response.headers["retry-after"] == "1"
    platform = bearer_for(settings)
    body = {
        "items": [{"ref": "r", "hashes": [{"algorithm": "md5", "value": sample_hashes.md5(1)}]}]
    }
    early = not_started.post("/v1/match", json=body, headers=platform)
    assert early.status_code == 503 and "still loading" in early.json()["detail"]
    assert not_started.get("/healthz").status_code == 200

    runtime.sync.load()
    assert not_started.get("/readyz").status_code == 200
    deadline = time.monotonic() + 5
    while not_started.get("/readyz").status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    lagging = not_started.get("/readyz", headers=OPERATOR)
    assert lagging.status_code == 503 and "not synced" in lagging.json()["detail"]
    runtime.database.dispose()


def bearer_for(settings):
    from hashstop.service.keys import KeyService
    from hashstop.service.tokens import Keyring
    from hashstop.storage.database import Database

    database = Database(settings.database_url, pool_size=1)
    try:
        with database.transaction() as session:
            token = (
                KeyService(session, Keyring(settings.secret_key_bytes))
                .create(name="ops-platform", role="platform", platform="ops")
                .token
            )
    finally:
        database.dispose()
    return bearer(token)


def test_healthz_and_readyz_when_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz", headers=OPERATOR).json()
    indexes = {"pdq", "phash", "md5", "sha256", "local"}
    assert ready["status"] == "ready" and set(ready["index"]) == indexes


def test_metrics_report_requests_latency_index_and_sync(client):
    client.post(
        "/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1), sample_hashes.pdq_entry(2)]}
    )
    client.get("/nowhere")
    text = client.get("/metrics", headers=OPERATOR).text
    assert 'hashstop_http_requests_total{method="POST",route="/v1/cases",status="201"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "hashstop_http_request_duration_seconds_bucket" in text
    assert 'hashstop_index_hashes{algorithm="pdq"} 2.0' in text
    assert "hashstop_index_sync_lag_seconds" in text and "hashstop_index_ready 1.0" in text
    assert "hashstop_index_applied_seq 2.0" in text


def test_openapi_describes_every_endpoint_in_one_line(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/v1/cases",
        "/v1/cases/{case_id}",
        "/v1/cases/{case_id}/hashes",
        "/v1/match",
        "/v1/hashlist",
        "/v1/matches/{match_id}/feedback",
    ]:
        assert path in paths
        for operation in paths[path].values():
            assert operation["description"] and "\n" not in operation["description"].strip()


def test_an_outsider_cannot_watch_live_counts(client, make_key):
    """Issue 12, attack 6: an anonymous observer read index sizes and case creations and
    withdrawals from /metrics and /readyz, and so saw one victim register and withdraw a photo.
    Now /metrics refuses anyone but the operator and anonymous /readyz says only 'ready'."""
    anonymous_before = client.get("/readyz")
    opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(7)]}).json()
    client.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    anonymous_after = client.get("/readyz")
    assert anonymous_before.status_code == anonymous_after.status_code == 200
    assert anonymous_before.json() == anonymous_after.json() == {"status": "ready"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 401
    assert metrics.headers["content-type"].startswith("application/problem+json")
    assert "hashstop_" not in metrics.text and "operator" in metrics.json()["detail"]
    for role in ("platform", "moderator"):
        refused = client.get("/metrics", headers=bearer(make_key(role)))
        assert refused.status_code == 403 and "hashstop_" not in refused.text
        # another credential on /readyz is answered as anonymous
        assert client.get("/readyz", headers=bearer(make_key(role))).json() == {"status": "ready"}
    assert client.get("/metrics", headers=bearer("hsk_" + "x" * 40)).status_code == 401
    # the operator: an admin key, or the operations token
    admin = bearer(make_key("admin"))
    assert 'hashstop_index_hashes{algorithm="pdq"}' in client.get("/metrics", headers=admin).text
    detailed = client.get("/readyz", headers=admin).json()
    assert detailed["applied_seq"] == 2 and "index" in detailed and "worker" in detailed
    assert client.get("/metrics", headers=OPERATOR).status_code == 200


def test_anonymous_readyz_when_not_ready_says_only_that(database_url):
    app = create_app(make_settings(database_url))
    not_started = running_client(app)  # no lifespan: the index never loads
    response = not_started.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["detail"] == "not ready"
    assert "applied_seq" not in body and "worker" not in body
    app.state.runtime.database.dispose()


def test_a_short_operations_token_is_refused():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="HASHSTOP_OPERATIONS_TOKEN"):
        make_settings("sqlite:///:memory:", operations_token="short")
