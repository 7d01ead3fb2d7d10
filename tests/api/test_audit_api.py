"""GET /v1/audit: admins read the audit log page by page; nobody else can."""

from __future__ import annotations

import pytest

from tests import sample_hashes
from tests.api.moderation import headers, is_problem, match_id, open_case


@pytest.fixture
def keys(make_key):
    return {
        "acme": headers(make_key("platform", name="acme-key", platform="acme")),
        "moderator": headers(make_key("moderator", name="mod")),
        "admin": headers(make_key("admin", name="root")),
    }


def test_admins_page_through_the_audit_log(client, keys):
    opened = open_case(client, sample_hashes.pdq_entry(1))
    mid = match_id(client, keys["acme"], sample_hashes.pdq(1))
    client.post(
        f"/v1/review/matches/{mid}", json={"decision": "dismissed"}, headers=keys["moderator"]
    )
    everything = client.get("/v1/audit", headers=keys["admin"]).json()
    actions = [e["action"] for e in everything["entries"]]
    # Newest first: the decision, the case, and the three keys the fixture made.
    assert actions == ["match.decided", "case.opened", *["key.created"] * 3]
    assert everything["next_before"] is None
    decided = everything["entries"][0]
    assert decided["actor"] == "key:mod" and decided["target"] == f"match:{mid}"
    assert decided["details"] == {"decision": "dismissed", "previous": "pending", "note": None}
    assert everything["entries"][1]["target"] == f"case:{opened['case_id']}"

    first = client.get("/v1/audit", params={"limit": 2}, headers=keys["admin"]).json()
    assert [e["action"] for e in first["entries"]] == actions[:2]
    rest = client.get(
        "/v1/audit", params={"before": first["next_before"]}, headers=keys["admin"]
    ).json()
    assert [e["action"] for e in rest["entries"]] == actions[2:]
    only = client.get("/v1/audit", params={"action": "key.created"}, headers=keys["admin"])
    assert len(only.json()["entries"]) == 3
    assert "hsk_" not in everything.__repr__() and "hsc_" not in str(everything)


def test_only_admins_read_the_audit_log(client, keys):
    opened = open_case(client, sample_hashes.pdq_entry(2))
    for who, status in (
        (keys["moderator"], 403),
        (keys["acme"], 403),
        (headers(opened["secret"]), 403),
        ({}, 401),
    ):
        assert is_problem(client.get("/v1/audit", headers=who), status)


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"action": "DROP TABLE"}, {"before": 0}]
)
def test_bad_audit_parameters_are_422(client, keys, params):
    assert is_problem(client.get("/v1/audit", params=params, headers=keys["admin"]), 422)
