"""The abuse attacks of issue 12, replayed at scale as an attacker would run them.

    .venv/bin/python -m benchmarks.abuse                        # SQLite, every scenario
    .venv/bin/python -m benchmarks.abuse --database postgresql  # a throwaway PostgreSQL database
    .venv/bin/python -m benchmarks.abuse --only quarantine_by_one_platform --hashes 300

Every attack is a sequence of valid requests to the real app (in process, its lifespan and index
running), on a fresh database per scenario. A scenario is a function `(world) -> dict` that
returns what the attacker achieved (the figures docs/threat-model.md quotes), and SCENARIOS lists
them; the results are printed as one table. To add an attack, write a function and list it.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests import sample_hashes
from tests.service_fixtures import (
    make_settings,
    pg_create_database,
    pg_drop_database,
    running_client,
    wait_ready,
)

from hashstop.app import create_app
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade


@dataclass
class World:
    """Where a scenario runs: a fresh migrated database, and how to start the app on it."""

    url: str
    hashes: int
    overrides: dict[str, Any] = field(default_factory=dict)

    def key(self, role: str, platform: str | None = None) -> dict[str, str]:
        settings = make_settings(self.url)
        database = Database(self.url, pool_size=1)
        try:
            with database.transaction() as session:
                created = KeyService(session, Keyring(settings.secret_key_bytes)).create(
                    name=f"{role}-{secrets.token_hex(4)}", role=role, platform=platform
                )
        finally:
            database.dispose()
        return {"Authorization": f"Bearer {created.token}"}

    @contextmanager
    def app(self, **overrides: Any) -> Iterator[TestClient]:
        settings = make_settings(self.url, log_level="WARNING", **{**self.overrides, **overrides})
        with running_client(create_app(settings)) as client:
            wait_ready(client)
            yield client


@contextmanager
def fresh_world(database: str, hashes: int) -> Iterator[World]:
    if database == "postgresql":
        created = pg_create_database()
        if created is None:
            raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")
        url, name = created
        try:
            upgrade(url)
            yield World(url, hashes)
        finally:
            pg_drop_database(name)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'hashstop.db'}"
        upgrade(url)
        yield World(url, hashes)


def open_case(client: TestClient, hashes: list[dict[str, object]]) -> dict[str, Any]:
    response = client.post("/v1/cases", json={"hashes": hashes})
    assert response.status_code == 201, response.text
    return dict(response.json())


def match_all(client: TestClient, platform: dict[str, str], values: list[str]) -> list[Any]:
    """Match each value as its own upload, in requests of up to 100 items."""
    results: list[Any] = []
    for start in range(0, len(values), 100):
        chunk = values[start : start + 100]
        body = {
            "items": [
                {"ref": f"u{start + i}", "hashes": [{"algorithm": "pdq", "value": v}]}
                for i, v in enumerate(chunk)
            ]
        }
        response = client.post("/v1/match", json=body, headers=platform)
        assert response.status_code == 200, response.text
        results.extend(response.json()["results"])
    return results


# --- attack 1: one platform key suspends every victim hash --------------------------------------


def quarantine_by_one_platform(world: World) -> dict[str, object]:
    """One platform matches each listed hash 3 times and calls every match a false positive
    (the default quarantine needs 3 false positives). What share of the victims' hashes stop
    matching for another platform?"""
    n = world.hashes
    values = [sample_hashes.pdq(100_000 + i) for i in range(n)]
    attacker = world.key("platform", "attacker")
    honest = world.key("platform", "honest")
    with world.app() as client:
        for start in range(0, n, 50):
            open_case(
                client,
                [
                    {"algorithm": "pdq", "value": v, "quality": 100}
                    for v in values[start : start + 50]
                ],
            )
        before = sum(r["matched"] for r in match_all(client, honest, values))
        started = time.perf_counter()
        for _ in range(3):
            for result in match_all(client, attacker, values):
                if result["matched"]:
                    answer = client.post(
                        f"/v1/matches/{result['match_id']}/feedback",
                        json={"verdict": "false_positive"},
                        headers=attacker,
                    )
                    assert answer.status_code in (200, 201), answer.text
        seconds = time.perf_counter() - started
        after = sum(r["matched"] for r in match_all(client, honest, values))
    return {
        "victim hashes": n,
        "suspended by one platform": before - after,
        "other platform's matches": f"{before} -> {after}",
        "seconds": round(seconds, 1),
    }


# --- attack 7: suspending the hash that matched leaves the photo matching -----------------------


def single_hash_suspension(world: World) -> dict[str, object]:
    """A photo is stored as several variants; a moderator suspends what a match hit. Does an
    edited copy that lands on another variant still match?"""
    variants = {name: sample_hashes.pdq(200_000 + i) for i, name in enumerate(VARIANTS)}
    platform = world.key("platform", "acme")
    moderator = world.key("moderator")
    with world.app() as client:
        open_case(
            client,
            [
                {"algorithm": "pdq", "value": v, "quality": 100, "photo": "p1", "variant": name}
                for name, v in variants.items()
            ],
        )
        first = match_all(client, platform, [variants["original"]])[0]
        hit = first["matches"][0]["hash_id"]
        response = client.post(
            f"/v1/review/hashes/{hit}/suspend",
            json={"reason": "not the victim's photo"},
            headers=moderator,
        )
        assert response.status_code == 200, response.text
        still = sum(r["matched"] for r in match_all(client, platform, list(variants.values())[1:]))
    return {
        "variants stored": len(variants),
        "variants still matching after the moderator's action": still,
    }


VARIANTS = ("original", "crop5", "crop10", "mirror", "rot90", "rot180", "rot270")


# --- attack 2: the allowlist is a list of values ------------------------------------------------


def allowlist_bypass(world: World) -> dict[str, object]:
    """An admin allowlists a benign picture; an anonymous client registers hashes a platform
    would derive from it (its dihedral transforms, a copy 32 bits away, its digests)."""
    entry = sample_hashes.pdq(300_000)
    derived = [sample_hashes.pdq(300_001 + i) for i in range(7)]  # stand-ins for its transforms
    derived.append(sample_hashes.flip(entry, 32, seed=1))
    admin = world.key("admin")
    with world.app() as client:
        response = client.post(
            "/v1/admin/allowlist",
            json={"algorithm": "pdq", "value": entry, "reason": "a news photo"},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        answer = client.post(
            "/v1/cases",
            json={"hashes": [{"algorithm": "pdq", "value": v, "quality": 100} for v in derived]},
        )
        accepted = answer.json().get("accepted", 0) if answer.status_code == 201 else 0
        reads = allowlist_read_back(client, entry)
    return {
        "hashes derived from the picture": len(derived),
        "accepted": accepted,
        "requests to read the entry back": reads,
    }


def allowlist_read_back(client: TestClient, entry: str) -> int | str:
    """Recover an allowlisted PDQ from the service's answers alone, as cheaply as they allow.

    The attacker holds a near copy (an edit of the picture at distance 31, the edge of the match
    distance). Flipping one bit of it moves it to 30 (the bit was wrong) or 32 (it was right),
    so the answer on each single-bit flip reads one bit of the entry. With per-hash (or
    per-photo) answers, one request of 256 flips, each its own photo, reads them all; with one
    answer per request it takes a request per bit. Returns the requests used, or 'failed'.
    """
    guess = int(sample_hashes.flip(entry, 31, seed=7), 16)
    flips = [f"{guess ^ (1 << p):064x}" for p in range(256)]
    requests = 1
    body = {
        "hashes": [
            {"algorithm": "pdq", "value": v, "quality": 100, "photo": f"f{p}"}
            for p, v in enumerate(flips)
        ]
    }
    answer = client.post("/v1/cases", json=body)
    rejected = answer.json().get("rejected", [])
    refused = {r["index"] for r in rejected if "allowlist" in r["reason"]}
    if not refused or len(refused) == len(flips):  # nothing to read per hash: one bit a request
        refused = set()
        for p, value in enumerate(flips):
            requests += 1
            one = {"hashes": [{"algorithm": "pdq", "value": value, "quality": 100}]}
            if client.post("/v1/cases", json=one).status_code != 201:
                refused.add(p)
    recovered = guess
    for p in refused:  # still refused after the flip: the flip brought it closer
        recovered ^= 1 << p
    return requests if f"{recovered:064x}" == entry else "failed"


def allowlist_margin(world: World) -> dict[str, object]:
    """The screening margin, measured (not an attack; `world` is unused).

    For each photograph P of the robustness set, its allowlist entry (`picture_hashes`). A
    poisoner's copy of P blocks P's re-uploads when a platform's query hash of an edit P' of P
    comes within the match distance (31) of a stored hash; the screen catches that copy when it
    lies within 31 + margin of the entry, so the margin must cover how far an edit's query
    hashes land from the entry: `edits` is that distance (PDQ: nearest query hash of P' to the
    entry; pHash: P' to the entry's pHash) over 4 random edits per photo (robustness benchmark).
    `unrelated`: how near the stored hashes of every other photograph Q come to P's entry; a
    screening distance at or above it would refuse an unrelated photo.
    """
    import numpy as np

    from benchmarks.robustness_photos import candidate_photos, load_photo
    from benchmarks.robustness_random import combined, random_border, random_resize_crop, repost
    from hashstop.hashing import phash_from_image, query_hashes
    from hashstop.hashing.picture import picture_hashes
    from hashstop.hashing.variants import photo_variants

    def nearest(values: list[int], entry: list[int]) -> int:
        return min((bin(a ^ b).count("1") for a in values for b in entry), default=999)

    photos, _ = candidate_photos()
    rng = np.random.default_rng(12)
    entries: list[dict[str, list[int]]] = []
    clients: list[dict[str, list[int]]] = []
    edits: dict[str, list[int]] = {"pdq": [], "phash": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i, photo in enumerate(photos):
            image = load_photo(photo).convert("RGB")
            path = Path(tmp) / f"{i}.png"
            image.save(path)
            entry: dict[str, list[int]] = {"pdq": [], "phash": []}
            for algorithm, value in picture_hashes(path):
                if algorithm in entry:
                    entry[algorithm].append(int(value, 16))
            entries.append(entry)
            clients.append(
                {
                    "pdq": [int(v.pdq.hex, 16) for v in photo_variants(image)],
                    "phash": [int(phash_from_image(image).hex, 16)],
                }
            )
            for edit in (combined, random_border, random_resize_crop, repost):
                edited = edit(image, rng)
                queries = [int(v, 16) for a, v in query_hashes(edited, local=False) if a == "pdq"]
                edits["pdq"].append(nearest(queries, entry["pdq"]))
                phash = int(phash_from_image(edited).hex, 16)
                edits["phash"].append(nearest([phash], entry["phash"]))
    unrelated: dict[str, list[int]] = {"pdq": [], "phash": []}
    for p, entry in enumerate(entries):
        for q, client in enumerate(clients):
            if p != q:
                for algorithm in unrelated:
                    unrelated[algorithm].append(nearest(client[algorithm], entry[algorithm]))
    result: dict[str, object] = {"photos": len(photos), "edits": len(edits["pdq"])}
    for algorithm in ("pdq", "phash"):
        e, u = np.array(edits[algorithm]), np.array(unrelated[algorithm])
        result[f"{algorithm} edits p50/p75/p90"] = "/".join(
            str(int(np.percentile(e, q))) for q in (50, 75, 90)
        )
        result[f"{algorithm} unrelated min"] = int(u.min())
    return result


SCENARIOS: list[Callable[[World], dict[str, object]]] = [
    quarantine_by_one_platform,
    single_hash_suspension,
    allowlist_bypass,
    allowlist_margin,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--hashes", type=int, default=300, help="victim hashes per scenario")
    parser.add_argument("--only", action="append", help="a scenario's name (repeatable)")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s.__name__ in args.only]
    rows: list[tuple[str, str]] = []
    for scenario in chosen:
        with fresh_world(args.database, args.hashes) as world:
            result = scenario(world)
        rows.append((scenario.__name__, "; ".join(f"{k}: {v}" for k, v in result.items())))
        print(f"{scenario.__name__}: done", flush=True)
    width = max(len(name) for name, _ in rows)
    print(f"\n{'scenario':<{width}}  what the attacker achieved ({args.database})")
    for name, achieved in rows:
        print(f"{name:<{width}}  {achieved}")


if __name__ == "__main__":
    main()
