"""Keys managed through the API by an admin: create (the token once), list, revoke; audited with
the admin who did it; refused to everyone else; a revoked key stops working."""

from __future__ import annotations

import pytest

from tests.api.moderation import audit, headers, is_problem


@pytest.fixture
def keys(make_key):
    return {
        "admin": headers(make_key("admin", name="root")),
        "moderator": headers(make_key("moderator", name="mod")),
        "platform": headers(make_key("platform", name="p-key", platform="acme")),
    }


def test_an_admin_creates_lists_and_revokes_keys(client, keys):
    body = {"name": "newco-prod", "role": "platform", "platform": "newco"}
    created = client.post("/v1/admin/keys", json=body, headers=keys["admin"])
    assert created.status_code == 201, created.text
    token = created.json()["key"]
    assert token.startswith("hsk_")
    assert created.json()["platform"] == "newco" and created.json()["revoked_at"] is None

    # The new key works for matching at once.
    query = {"items": [{"ref": "u1", "hashes": [{"algorithm": "md5", "value": "1" * 32}]}]}
    assert client.post("/v1/match", json=query, headers=headers(token)).status_code == 200

    listed = client.get("/v1/admin/keys", headers=keys["admin"])
    assert listed.status_code == 200
    names = {k["name"]: k for k in listed.json()}
    assert {"root", "mod", "p-key", "newco-prod"} <= set(names)
    assert token not in listed.text and all("key" not in k for k in listed.json())

    revoked = client.delete("/v1/admin/keys/newco-prod", headers=keys["admin"])
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert is_problem(client.post("/v1/match", json=query, headers=headers(token)), 401)

    made = audit(client, keys["admin"], "key.created")
    assert any(e["actor"] == "key:root" and e["target"] == "key:newco-prod" for e in made)
    gone = audit(client, keys["admin"], "key.revoked")
    assert any(e["actor"] == "key:root" and e["target"] == "key:newco-prod" for e in gone)


@pytest.mark.parametrize("who", ["moderator", "platform"])
def test_only_admins_manage_keys(client, keys, who):
    body = {"name": "sneaky", "role": "admin"}
    assert is_problem(client.post("/v1/admin/keys", json=body, headers=keys[who]), 403)
    assert is_problem(client.get("/v1/admin/keys", headers=keys[who]), 403)
    assert is_problem(client.delete("/v1/admin/keys/root", headers=keys[who]), 403)
    assert is_problem(client.post("/v1/admin/keys", json=body), 401)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"name": "x", "role": "platform"}, 422, "platform"),
        ({"name": "bad name", "role": "admin"}, 422, "key name"),
        ({"name": "x", "role": "owner"}, 422, "unknown role"),
        ({"name": "root", "role": "admin"}, 409, "exists already"),
    ],
)
def test_bad_requests_are_problems(client, keys, body, status, says):
    response = client.post("/v1/admin/keys", json=body, headers=keys["admin"])
    assert is_problem(response, status), response.text
    assert says in response.json()["detail"]


def test_revoking_an_unknown_key_is_404(client, keys):
    assert is_problem(client.delete("/v1/admin/keys/nobody", headers=keys["admin"]), 404)
