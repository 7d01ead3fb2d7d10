"""Schemathesis against the app's own OpenAPI schema: no 5xx, no response off its schema.

Every operation gets a bounded number of examples (`EXAMPLES`), each with a caller drawn from
every role, on a SQLite database (the PostgreSQL run is `python -m benchmarks.fuzz_api
--database-url ...`). The longer run is `python -m benchmarks.fuzz_api --examples N`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hashstop.app import create_app
from tests.api.fuzzing import ROLES, World, fuzz_test, operations, running_world
from tests.service_fixtures import make_settings

EXAMPLES = 40  # per operation: 23 operations, 920 requests, about 30 s here
OPERATIONS = operations(create_app(make_settings("sqlite://")))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from hashstop.storage.database import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'hashstop.db'}"
    upgrade(url)
    with running_world(make_settings(url)) as w:
        yield w


def test_the_schema_has_every_api_operation():
    labels = {op.label for op in OPERATIONS}
    assert len(labels) >= 23 and "POST /v1/match" in labels and "GET /v1/audit" in labels


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_fuzz_operation(world, operation):
    before = world.requests[operation.label]
    fuzz_test(world, operation, EXAMPLES)()
    assert world.requests[operation.label] - before >= EXAMPLES // 2


def test_every_role_was_a_credential(world):
    assert set(world.tokens) == set(ROLES) - {"anonymous"}
