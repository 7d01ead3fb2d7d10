"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis), for every role.

A `World` is a running app on a migrated database with one live credential of every kind (the
case secret of an open case, two platforms' keys, a moderator scoped to platform A, a global
moderator, an admin) and ids that exist (cases, match records, hashes, allowlist entries).

For each operation of the schema, hypothesis draws a request from schemathesis's strategy, then
a caller (mostly one the operation is meant for), and sometimes swaps the generated path
parameters for ids that exist and the generated hashes for well-formed ones, so the fuzzer gets
past 401, 404 and 422 into the code behind them; and sometimes swaps a parameter for a boundary
value (`tests/api/boundaries.py`: 19-digit numbers, moments past year 1 or 9999 in extreme time
zones, huge limits), which it would rarely draw on its own. The
response must not be a 5xx and must match what the schema declares for it (status, media type,
headers, body). The test (`tests/api/test_fuzz_api.py`) runs a bounded number of examples per
operation; `python -m benchmarks.fuzz_api --examples N` runs as many as asked.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)
from schemathesis.core.result import Err

from hashstop.app import create_app
from hashstop.config import Settings
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database
from tests import sample_hashes
from tests.api.boundaries import values_for
from tests.service_fixtures import bearer, running_client, wait_ready

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
ROLES = (
    "anonymous",
    "case_secret",
    "platform_a",
    "platform_b",
    "moderator_scoped",
    "moderator_global",
    "admin",
)
ALGORITHMS = ("pdq", "phash", "md5", "sha256")
# The callers an operation is meant for (by its OpenAPI tag); they are drawn three times as often
# as the others, so most requests get past authentication into the endpoint.
MEANT_FOR = {
    "victim": ("case_secret",),
    "platform": ("platform_a", "platform_b"),
    "moderator": ("moderator_scoped", "moderator_global", "admin"),
    "admin": ("admin",),
    "operations": ("anonymous",),
}


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, list[str]]
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else bearer(self.tokens[role])


def _valid_hash(rng: random.Random) -> dict[str, Any]:
    algorithm = rng.choice(ALGORITHMS)
    seed = rng.randrange(64)
    value = getattr(sample_hashes, algorithm)(seed)
    entry: dict[str, Any] = {"algorithm": algorithm, "value": value}
    if algorithm == "pdq":
        entry["quality"] = 100
    return entry


def _repair_hashes(body: Any, rng: random.Random) -> Any:
    """`body` with each object that has an `algorithm` made a real hash (other fields kept)."""
    if isinstance(body, list):
        return [_repair_hashes(v, rng) for v in body]
    if isinstance(body, dict):
        out = {k: _repair_hashes(v, rng) for k, v in body.items()}
        if "algorithm" in out and "value" in out:
            out.update(_valid_hash(rng))
        return out
    return body


def seed_world(app_settings: Settings, client: TestClient) -> World:
    """Credentials of every role and some state: cases, matches, feedback, an allowlist entry."""
    database = Database(app_settings.database_url, pool_size=1)
    keyring = Keyring(app_settings.secret_key_bytes)
    tokens: dict[str, str] = {}
    try:
        with database.transaction() as session:
            keys = KeyService(session, keyring)
            for role, kind, platform in (
                ("platform_a", "platform", "platform-a"),
                ("platform_b", "platform", "platform-b"),
                ("moderator_scoped", "moderator", "platform-a"),
                ("moderator_global", "moderator", None),
                ("admin", "admin", None),
            ):
                name = f"fuzz-{role}-{secrets.token_hex(3)}"
                tokens[role] = keys.create(name=name, role=kind, platform=platform).token
    finally:
        database.dispose()

    ids: dict[str, list[str]] = {"case_id": [], "match_id": [], "hash_id": [], "entry_id": []}
    for seed in range(4):
        entries = [
            sample_hashes.pdq_entry(seed),
            {"algorithm": "md5", "value": sample_hashes.md5(seed)},
        ]
        opened = client.post("/v1/cases", json={"hashes": entries})
        assert opened.status_code == 201, opened.text
        ids["case_id"].append(opened.json()["case_id"])
        if seed == 0:
            tokens["case_secret"] = opened.json()["secret"]
    for seed, platform in ((0, "platform_a"), (1, "platform_b"), (2, "platform_a")):
        body = {
            "items": [
                {
                    "ref": f"up-{seed}",
                    "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(seed)}],
                }
            ]
        }
        result = client.post("/v1/match", json=body, headers=bearer(tokens[platform]))
        assert result.status_code == 200, result.text
        item = result.json()["results"][0]
        assert item["matched"], item
        ids["match_id"].append(item["match_id"])
        ids["hash_id"].extend(str(h["hash_id"]) for h in item["matches"])
    added = client.post(
        "/v1/admin/allowlist",
        json={"algorithm": "pdq", "value": sample_hashes.pdq(900), "reason": "a news photo"},
        headers=bearer(tokens["admin"]),
    )
    assert added.status_code in (200, 201), added.text
    ids["entry_id"].append(str(added.json()["id"]))
    return World(client=client, tokens=tokens, ids=ids)


def _boundaries(case: Any, definition: dict[str, Any], data: st.DataObject, rng: Any) -> None:
    """Once in three requests, one path or query parameter becomes a boundary value."""
    params = [p for p in definition.get("parameters", []) if p["in"] in ("path", "query")]
    if not params or not data.draw(st.integers(0, 2), label="boundary") == 0:
        return
    chosen = rng.choice(params)
    value = rng.choice(values_for(chosen["schema"]))
    if chosen["in"] == "path":
        if value and case.path_parameters is not None:
            case.path_parameters[chosen["name"]] = value.replace("/", "")
    else:
        case.query = {**(case.query or {}), chosen["name"]: value}


@contextmanager
def running_world(app_settings: Settings) -> Any:
    with running_client(create_app(app_settings)) as client:
        wait_ready(client)
        yield seed_world(app_settings, client)


def operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"an operation of the OpenAPI document is invalid: {result.err()}")
        found.append(result.ok())
    return found


def fuzz_test(
    world: World, operation: Any, examples: int, seed: int | None = None
) -> Callable[[], None]:
    """A hypothesis test of `operation` that runs `examples` requests against `world`."""

    tags = operation.definition.raw.get("tags") or []
    meant = [role for tag in tags for role in MEANT_FOR.get(tag, ())]
    callers = sorted(ROLES) + 3 * meant

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=seed is None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        # Requests to a live app are slow by hypothesis's measure; every other check stays on.
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(), label="case")
        role = data.draw(st.sampled_from(callers), label="role")
        rng = random.Random(data.draw(st.integers(0, 2**32), label="rng"))
        for name in list(case.path_parameters or {}):
            known = world.ids.get(name)
            if known and data.draw(st.booleans(), label=f"known {name}"):
                case.path_parameters[name] = rng.choice(known)
        _boundaries(case, operation.definition.raw, data, rng)
        if case.body is not None and data.draw(st.booleans(), label="valid hashes"):
            case.body = _repair_hashes(case.body, rng)
        kwargs = case.as_transport_kwargs(base_url=str(world.client.base_url))
        kwargs.pop("cookies", None)
        headers = {**kwargs.pop("headers", {}), **world.headers(role)}
        if role == "anonymous":
            headers.pop("Authorization", None)
        response = world.client.request(
            kwargs.pop("method"),
            kwargs.pop("url"),
            headers=headers,
            params=kwargs.pop("params", None),
            **{k: v for k, v in kwargs.items() if k in ("json", "content", "data", "files")},
        )
        world.requests[operation.label] += 1
        world.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    if seed is not None:
        from hypothesis import seed as hypothesis_seed

        run = hypothesis_seed(seed)(run)
    return run
