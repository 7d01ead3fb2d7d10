"""Attack 8 of issue 12: no input answers 500, and a 500 still carries the security headers.

The red team found `GET /v1/review/queue?cursor=q9223372036854775808` (SQLite: the number
overflowed the database's integers) and `?since=0001-01-01T00:00:00+14:00` (both databases: the
moment is before year 1 in UTC) answering 500, and a 500 without the pages' security headers.
Here those requests are 422, and a grid sends every boundary value of `tests/api/boundaries.py`
to every parameter and every body field of every operation of the OpenAPI document, as every
role, on SQLite and PostgreSQL: no answer may be a 5xx.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from hashstop.app import create_app
from hashstop.web.rendering import SECURITY_HEADERS
from tests import sample_hashes
from tests.api.boundaries import body_variants, parameters, values_for
from tests.api.fuzzing import MEANT_FOR, ROLES, World, seed_world
from tests.service_fixtures import bearer, running_client


def assert_422(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_a_cursor_past_64_bits_is_422(client, make_key):
    moderator = bearer(make_key("moderator"))
    for cursor in ("q9223372036854775808", "r9999999999999999999", "q4611686018427387905"):
        response = client.get("/v1/review/queue", params={"cursor": cursor}, headers=moderator)
        assert "cursor" in assert_422(response)["detail"]
    # The largest cursor a page can hand out still works.
    fine = client.get(
        "/v1/review/queue", params={"cursor": "q4611686018427387904"}, headers=moderator
    )
    assert fine.status_code == 200, fine.text


@pytest.mark.parametrize(
    "name,moment",
    [
        ("since", "0001-01-01T00:00:00+14:00"),
        ("since", "0001-01-01T00:00:00"),
        ("until", "9999-12-31T23:59:59-14:00"),
        ("until", "9999-12-31T23:59:59.999999"),
        ("since", "1969-12-31T23:59:59Z"),
    ],
)
def test_moments_out_of_range_are_422(client, make_key, name, moment):
    moderator = bearer(make_key("moderator"))
    response = client.get("/v1/review/queue", params={name: moment}, headers=moderator)
    assert name in assert_422(response)["detail"]


def test_extreme_time_zones_inside_the_range_are_answered(client, make_key):
    moderator = bearer(make_key("moderator"))
    params = {"since": "2000-01-01T00:00:00+14:00", "until": "9000-01-01T00:00:00-23:59"}
    response = client.get("/v1/review/queue", params=params, headers=moderator)
    assert response.status_code == 200, response.text


def test_review_pages_refuse_the_last_day_without_a_500(client, make_key):
    from tests.api.test_review_pages_api import sign_in

    assert sign_in(client, make_key("moderator")).status_code == 303
    for params in ({"until": "9999-12-31"}, {"since": "0001-01-01"}, {"cursor": "q" + "9" * 19}):
        response = client.get("/review/queue", params=params)
        assert response.status_code == 422, (params, response.text)


def test_a_500_carries_the_security_headers(settings):
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/broken", broken)
    with running_client(app) as client:
        response = client.get("/v1/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    for name, value in SECURITY_HEADERS:
        assert response.headers.get(name.decode()) == value.decode(), name


# The grid: every operation, every role, every boundary value.

BODIES: dict[str, Any] = {
    "POST /v1/cases": {
        "hashes": [
            sample_hashes.pdq_entry(50),
            {"algorithm": "md5", "value": sample_hashes.md5(50)},
        ]
    },
    "POST /v1/cases/{case_id}/hashes": {"hashes": [sample_hashes.pdq_entry(51)]},
    "POST /v1/match": {
        "items": [
            {
                "ref": "upload-1",
                "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(0)}],
                "max_distance": 31,
            }
        ]
    },
    "POST /v1/matches/{match_id}/feedback": {"verdict": "confirmed", "action": "blocked"},
    "POST /v1/review/matches/{match_id}": {"decision": "dismissed", "note": "checked"},
    "POST /v1/review/hashes/{hash_id}/suspend": {"reason": "checked"},
    "POST /v1/review/hashes/{hash_id}/restore": {"reason": "checked"},
    "POST /v1/admin/allowlist": {
        "algorithm": "pdq",
        "value": sample_hashes.pdq(901),
        "reason": "a news photo",
    },
}
KNOWN_QUERY = {"reason": "checked"}


def _requests(
    operation: dict[str, Any], path: str, world: World
) -> list[tuple[str, dict[str, str], Any]]:
    """(url, query, body) of every boundary request for one operation."""

    def url(overrides: dict[str, str]) -> str:
        out = path
        for name, _ in parameters(operation, "path"):
            value = overrides.get(name) or world.ids[name][0]
            out = out.replace("{" + name + "}", value)
        return out

    base_query = {
        name: KNOWN_QUERY[name]
        for name, schema in parameters(operation, "query")
        if name in KNOWN_QUERY
    }
    label = path
    body = None
    for method in ("POST", "GET", "DELETE"):
        body = BODIES.get(f"{method} {label}", body)
    requests: list[tuple[str, dict[str, str], Any]] = []
    for name, schema in parameters(operation, "path"):
        for value in values_for(schema):
            if value:
                requests.append((url({name: value.replace("/", "")}), base_query, body))
    for name, schema in parameters(operation, "query"):
        for value in values_for(schema):
            requests.append((url({}), {**base_query, name: value}, body))
    if body is not None:
        requests.extend((url({}), base_query, variant) for variant in body_variants(body))
    return requests


def test_no_boundary_value_gets_a_500_from_any_operation_or_role(settings, client):
    world = seed_world(settings, client)
    schema = client.get("/openapi.json").json()
    operations = [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    # Withdrawals and deletions last, so the credentials and ids they consume serve the rest.
    operations.sort(key=lambda op: op[0] == "DELETE")
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    sent = 0
    for method, path, operation in operations:
        meant = {role for tag in operation.get("tags", []) for role in MEANT_FOR.get(tag, ())}
        requests = _requests(operation, path, world)
        for role in ROLES:
            # Every request as the roles it is meant for; the first of each value kind as the
            # others (they stop at authentication, which must not fail either).
            chosen = requests if role in meant else requests[:: max(1, len(requests) // 3)]
            for url, query, body in chosen:
                response = client.request(
                    method,
                    url,
                    params=query,
                    json=body if method != "GET" and body is not None else None,
                    headers=world.headers(role),
                )
                sent += 1
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{role} {method} {url} {query} {body!r:.200}: {response.text}")
    assert not failures, f"{len(failures)} of {sent} answered 5xx:\n" + "\n".join(failures[:20])
    # The grid got past authentication and validation into the code behind them.
    assert sent > 1200 and statuses[200] + statuses[201] > 100, statuses
    assert statuses[422] > 500 and statuses[401] > 50, statuses
