"""Issue 12, attack 3: nobody can flood the hash list.

The attack: only case creation was rate-limited; adding hashes to an existing case was neither
limited nor capped, and 3 anonymous clients put 54,000 hashes in 35 s into every worker's memory
and every platform's feed. Now one budget per client address covers case creation and additions
together, a case holds at most so many photos and hashes, and all clients together have an
hourly ceiling (counted in a metric, written to the audit log). Each test performs the flood and
counts what got in.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from hashstop.app import create_app
from tests import sample_hashes
from tests.service_fixtures import OPERATOR, bearer, make_settings, wait_ready


def _pdq_batch(start: int, n: int, photo: str | None = None) -> list[dict[str, object]]:
    extra = {"photo": photo} if photo else {}
    return [sample_hashes.pdq_entry(start + i, **extra) for i in range(n)]


def _client(database_url: str, peer: str = "192.0.2.10", **overrides: object) -> TestClient:
    settings = make_settings(database_url, **overrides)
    return TestClient(create_app(settings), client=(peer, 50000), raise_server_exceptions=False)


def _stored(client: TestClient, opened: dict[str, str]) -> int:
    view = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    return int(view.json()["hash_count"])


def test_adding_hashes_to_one_case_is_budgeted_per_address(database_url):
    with _client(database_url, hashes_per_address_per_hour=1000) as client:
        wait_ready(client)
        opened = client.post("/v1/cases", json={"hashes": _pdq_batch(0, 50)}).json()
        statuses = []
        for n in range(40):  # the flood: 40 additions of 50 hashes = 2,000 more
            r = client.post(
                f"/v1/cases/{opened['case_id']}/hashes",
                json={"hashes": _pdq_batch(1000 + 50 * n, 50)},
                headers=bearer(opened["secret"]),
            )
            statuses.append(r.status_code)
        refused = client.post(
            f"/v1/cases/{opened['case_id']}/hashes",
            json={"hashes": _pdq_batch(9000, 45)},
            headers=bearer(opened["secret"]),
        )
        stored = _stored(client, opened)
        # a fresh case from the same address shares the budget: refused too
        another = client.post("/v1/cases", json={"hashes": _pdq_batch(20_000, 45)})
    # 1,000 an hour, each request costs its hashes + 1: 19 requests of 51 fit (969); what
    # refills meanwhile (0.28 a second) is far from another 46
    assert stored <= 1000 and statuses.count(200) == 18
    assert set(statuses[18:]) == {429}
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    detail = refused.json()["detail"]
    assert "hashes from this address" in detail and "1000 an hour" in detail
    assert another.status_code == 429


def test_another_address_has_its_own_budget(database_url):
    settings = make_settings(database_url, hashes_per_address_per_hour=100)
    app = create_app(settings)
    with TestClient(app, client=("192.0.2.1", 1)) as first:
        wait_ready(first)
        assert first.post("/v1/cases", json={"hashes": _pdq_batch(0, 90)}).status_code == 201
        assert first.post("/v1/cases", json={"hashes": _pdq_batch(100, 20)}).status_code == 429
        with TestClient(app, client=("192.0.2.2", 1)) as second:
            assert second.post("/v1/cases", json={"hashes": _pdq_batch(200, 20)}).status_code == 201


def test_a_case_holds_at_most_its_caps(database_url):
    with _client(database_url, max_hashes_per_case=120, max_photos_per_case=3) as client:
        wait_ready(client)
        opened = client.post("/v1/cases", json={"hashes": _pdq_batch(0, 2)}).json()
        add = f"/v1/cases/{opened['case_id']}/hashes"
        auth = bearer(opened["secret"])
        # one more photo fits, two more do not (each hash without a photo key is a photo)
        too_many_photos = client.post(add, json={"hashes": _pdq_batch(10, 2)}, headers=auth)
        assert too_many_photos.status_code == 409
        assert "at most 3 photos" in too_many_photos.json()["detail"]
        assert client.post(add, json={"hashes": _pdq_batch(10, 1)}, headers=auth).status_code == 200
        # hashes of a photo already in the case: only the hash cap counts
        grouped = client.post("/v1/cases", json={"hashes": _pdq_batch(100, 100, "one")}).json()
        add2 = f"/v1/cases/{grouped['case_id']}/hashes"
        auth2 = bearer(grouped["secret"])
        over = client.post(add2, json={"hashes": _pdq_batch(300, 21, "one")}, headers=auth2)
        assert over.status_code == 409 and "120 hashes" in over.json()["detail"]
        fits = client.post(add2, json={"hashes": _pdq_batch(300, 20, "one")}, headers=auth2)
        assert fits.status_code == 200 and fits.json()["accepted"] == 20
        assert _stored(client, grouped) == 120 and _stored(client, opened) == 3


def test_the_global_ceiling_refuses_counts_and_audits(database_url, make_key):
    """Many addresses together: past the hourly ceiling every write is refused, the metric
    counts each refusal and one audit entry says it happened."""
    settings = make_settings(database_url, hashes_per_hour=300)
    app = create_app(settings)
    statuses = []
    with TestClient(app, client=("192.0.2.1", 1)) as client:
        wait_ready(client)
        for n in range(10):  # 10 addresses, 50 hashes each: 500 against a ceiling of 300
            with TestClient(app, client=(f"198.51.100.{n + 1}", 1)) as spoofless:
                r = spoofless.post("/v1/cases", json={"hashes": _pdq_batch(100 * n, 50)})
                statuses.append(r.status_code)
        metrics = client.get("/metrics", headers=OPERATOR).text
        audit = client.get(
            "/v1/audit",
            params={"action": "writes.ceiling_reached"},
            headers=bearer(make_key("admin")),
        ).json()
    assert statuses.count(201) == 5 and set(statuses[5:]) == {429}
    assert "hashstop_write_ceiling_hits_total 5.0" in metrics
    assert len(audit["entries"]) == 1
    assert audit["entries"][0]["details"]["hashes_per_hour"] == 300
