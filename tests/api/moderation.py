"""Steps the moderation tests share: open a case, match an upload, give feedback, decide."""

from __future__ import annotations

from typing import Any

from tests import sample_hashes
from tests.service_fixtures import bearer


def open_case(client: Any, *entries: dict[str, object]) -> dict[str, Any]:
    response = client.post("/v1/cases", json={"hashes": list(entries)})
    assert response.status_code == 201, response.text
    return dict(response.json())


def pdq_case(client: Any, seed: int) -> dict[str, Any]:
    return open_case(client, sample_hashes.pdq_entry(seed))


def match(
    client: Any, platform: dict[str, str], value: str, ref: str = "upload", algorithm: str = "pdq"
) -> dict[str, Any]:
    body = {"items": [{"ref": ref, "hashes": [{"algorithm": algorithm, "value": value}]}]}
    response = client.post("/v1/match", json=body, headers=platform)
    assert response.status_code == 200, response.text
    return dict(response.json()["results"][0])


def match_id(client: Any, platform: dict[str, str], value: str, ref: str = "upload") -> str:
    result = match(client, platform, value, ref)
    assert result["matched"], result
    return str(result["match_id"])


def feedback(
    client: Any, platform: dict[str, str], mid: str, verdict: str, action: str | None = None
) -> Any:
    body: dict[str, object] = {"verdict": verdict}
    if action is not None:
        body["action"] = action
    return client.post(f"/v1/matches/{mid}/feedback", json=body, headers=platform)


def decide(
    client: Any, moderator: dict[str, str], mid: str, decision: str, note: str | None = None
) -> Any:
    body: dict[str, object] = {"decision": decision}
    if note is not None:
        body["note"] = note
    return client.post(f"/v1/review/matches/{mid}", json=body, headers=moderator)


def review(client: Any, moderator: dict[str, str], mid: str) -> dict[str, Any]:
    response = client.get(f"/v1/review/matches/{mid}", headers=moderator)
    assert response.status_code == 200, response.text
    return dict(response.json())


def hash_id_of(client: Any, platform: dict[str, str], value: str) -> int:
    result = match(client, platform, value, ref="probe")
    assert result["matched"], result
    return int(result["matches"][0]["hash_id"])


def audit(client: Any, admin: dict[str, str], action: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params={"action": action, "limit": 500}, headers=admin)
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


def is_problem(response: Any, status: int) -> bool:
    return bool(
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["status"] == status
    )


def headers(token: str) -> dict[str, str]:
    return bearer(token)
