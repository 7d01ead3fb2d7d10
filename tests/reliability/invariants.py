"""What "nothing half-written" means, as SQL: each query returns the rows that break a rule.

Run against the database after a crash and a restart; every query must return nothing. The rules
hold on SQLite and PostgreSQL alike (plain SQL, no dialect features):

- every case has at least one hash, and every photo at least one hash (a case is opened with its
  hashes in one transaction);
- every case has its `case.opened` audit entry, written in that same transaction;
- every hash has an `added` entry in the change log (a platform following the log sees it);
- the change log's seqs are 1..N without a hole (a follower reading "after seq S" must never
  skip one that commits later: see `storage/changelog.py`);
- each hash's latest change-log entry agrees with its status (active <- added/restored,
  withdrawn <- withdrawn, suspended <- suspended), and a withdrawn hash has no value left;
- a withdrawn case has only withdrawn hashes, an active case none.
"""

from __future__ import annotations

from sqlalchemy import text

from hashstop.storage.database import Database

RULES: dict[str, str] = {
    "case without hashes": (
        "SELECT c.public_id FROM cases c "
        "WHERE NOT EXISTS (SELECT 1 FROM hashes h WHERE h.case_id = c.id)"
    ),
    "photo without hashes": (
        "SELECT p.id FROM photos p "
        "WHERE NOT EXISTS (SELECT 1 FROM hashes h WHERE h.photo_id = p.id)"
    ),
    "case without its audit entry": (
        "SELECT c.public_id FROM cases c WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.action = 'case.opened' AND a.target = 'case:' || c.public_id)"
    ),
    "hash without its change-log entry": (
        "SELECT h.id FROM hashes h WHERE NOT EXISTS "
        "(SELECT 1 FROM hash_changes c WHERE c.hash_id = h.id AND c.kind = 'added')"
    ),
    "hole in the change-log seq": (
        "SELECT count(*), min(seq), max(seq) FROM hash_changes "
        "HAVING count(*) > 0 AND (min(seq) <> 1 OR max(seq) <> count(*))"
    ),
    "hash status without its latest change": (
        "SELECT h.id, h.status, c.kind FROM hashes h JOIN hash_changes c ON c.hash_id = h.id "
        "WHERE c.seq = (SELECT max(c2.seq) FROM hash_changes c2 WHERE c2.hash_id = h.id) "
        "AND NOT ((h.status = 'active' AND c.kind IN ('added', 'restored')) "
        "OR (h.status = 'withdrawn' AND c.kind = 'withdrawn') "
        "OR (h.status = 'suspended' AND c.kind = 'suspended'))"
    ),
    "withdrawn hash with a value": (
        "SELECT h.id FROM hashes h WHERE h.status = 'withdrawn' AND h.value IS NOT NULL"
    ),
    "withdrawn case with a live hash": (
        "SELECT c.public_id FROM cases c JOIN hashes h ON h.case_id = c.id "
        "WHERE c.status = 'withdrawn' AND h.status <> 'withdrawn'"
    ),
    "active case with a withdrawn hash": (
        "SELECT c.public_id FROM cases c JOIN hashes h ON h.case_id = c.id "
        "WHERE c.status = 'active' AND h.status = 'withdrawn'"
    ),
}


def violations(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    """Rule -> offending rows (at most 10 each), for the rules that are broken."""
    database = Database(database_url, pool_size=1)
    broken: dict[str, list[tuple[object, ...]]] = {}
    try:
        with database.transaction(write=False) as session:
            for rule, query in RULES.items():
                rows = [tuple(r) for r in session.execute(text(query)).fetchmany(10)]
                if rows:
                    broken[rule] = rows
    finally:
        database.dispose()
    return broken


def matchable_count(database_url: str) -> int:
    """Active hashes with a value: what every worker's index must hold after a restart."""
    database = Database(database_url, pool_size=1)
    try:
        with database.transaction(write=False) as session:
            return int(
                session.scalar(
                    text(
                        "SELECT count(*) FROM hashes WHERE status = 'active' AND value IS NOT NULL"
                    )
                )
                or 0
            )
    finally:
        database.dispose()


def case_hash_ids(database_url: str) -> dict[str, set[int]]:
    """Hash ids by case public id."""
    database = Database(database_url, pool_size=1)
    out: dict[str, set[int]] = {}
    try:
        with database.transaction(write=False) as session:
            rows = session.execute(
                text("SELECT c.public_id, h.id FROM cases c JOIN hashes h ON h.case_id = c.id")
            )
            for public_id, hash_id in rows:
                out.setdefault(public_id, set()).add(int(hash_id))
    finally:
        database.dispose()
    return out
