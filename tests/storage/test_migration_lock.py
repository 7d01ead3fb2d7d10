"""Replicas migrating at the same start: on PostgreSQL they take turns under an advisory lock."""

from __future__ import annotations

import threading

import pytest

from hashstop.storage.database import current_revision, head_revision, upgrade


@pytest.mark.postgres
def test_concurrent_upgrades_of_one_postgresql_database_all_succeed(blank_postgres_url):
    url = blank_postgres_url
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(url)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert current_revision(url) == head_revision()
