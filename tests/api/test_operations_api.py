"""Liveness, readiness (index loaded and current) and the Prometheus metrics."""

from __future__ import annotations

import time

from hashstop.app import create_app
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, running_client


def test_readyz_is_503_until_the_index_is_loaded_and_while_it_lags(database_url):
    settings = make_settings(database_url, sync_stale_after=0.3)
    app = create_app(settings)
    runtime = app.state.runtime
    not_started = running_client(app)  # no lifespan: the sync thread never runs
    response = not_started.get("/readyz")
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
    lagging = not_started.get("/readyz")
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
    ready = client.get("/readyz").json()
    indexes = {"pdq", "phash", "md5", "sha256", "local"}
    assert ready["status"] == "ready" and set(ready["index"]) == indexes


def test_metrics_report_requests_latency_index_and_sync(client):
    client.post(
        "/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1), sample_hashes.pdq_entry(2)]}
    )
    client.get("/nowhere")
    text = client.get("/metrics").text
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
