"""The abuse attacks of issue 12 (all twelve but the smaller points), replayed at scale as an
attacker would run them, with what each attacker achieved in one table.

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
import os
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


def photo_suspension(world: World) -> dict[str, object]:
    """N photos of 7 variants each; a moderator acts on each match (the default action on the
    match page: the photo; the old one: the hash that was hit). How many variants of the
    suspended photos still match an edited copy?"""
    n = max(1, world.hashes // 7)
    photos = [
        {name: sample_hashes.pdq(200_000 + 10 * p + i) for i, name in enumerate(VARIANTS)}
        for p in range(n)
    ]
    platform = world.key("platform", "acme")
    moderator = world.key("moderator")
    result: dict[str, object] = {"photos": n, "variants": 7 * n}
    with world.app() as client:
        for p, variants in enumerate(photos):
            open_case(
                client,
                [
                    {"algorithm": "pdq", "value": v, "quality": 100, "photo": f"p{p}", "variant": k}
                    for k, v in variants.items()
                ],
            )
        for how in ("hash", "photo"):
            half = photos[: n // 2] if how == "hash" else photos[n // 2 :]
            hits = match_all(client, platform, [v["original"] for v in half])
            for hit in hits:
                first = hit["matches"][0]
                if how == "hash":
                    url = f"/v1/review/hashes/{first['hash_id']}/suspend"
                else:
                    # The photo's id as moderators see it (a platform sees a keyed name of its
                    # own): from the match's review view, as the match page does.
                    view = client.get(f"/v1/review/matches/{hit['match_id']}", headers=moderator)
                    if view.status_code == 404:  # before issue 12: no photo in the review view
                        break
                    assert view.status_code == 200, view.text
                    url = f"/v1/review/photos/{view.json()['photos'][0]['photo']}/suspend"
                response = client.post(url, json={"reason": "not a victim's"}, headers=moderator)
                if response.status_code == 404 and how == "photo":  # before issue 12
                    break
                assert response.status_code == 200, response.text
            others = [v for variants in half for k, v in variants.items() if k != "original"]
            still = sum(r["matched"] for r in match_all(client, platform, others))
            result[f"still matching after suspending the {how}"] = f"{still} of {len(others)}"
    return result


VARIANTS = ("original", "crop5", "crop10", "mirror", "rot90", "rot180", "rot270")


# --- attack 2: the allowlist is a list of values ------------------------------------------------

PICTURE = (
    Path(__file__).resolve().parents[1]
    / "tests/data/pdq-conformance/images/bridge-mods/aaa-orig.jpg"
)


def allowlist_bypass(world: World) -> dict[str, object]:
    """An admin allowlists a benign picture as the README says (`allowlist add --image`); an
    anonymous client then registers every other form of it, one request each: its dihedral
    transforms, its pHash, MD5, SHA-256, copies 32 and 40 bits from its PDQ. Accepted forms,
    and whether a platform matching the picture (query hashes) gets hits; then the read-back."""
    from hashstop.hashing import hash_file, query_hashes

    try:
        from hashstop.hashing.picture import picture_hashes
    except ImportError:  # before issue 12: no pictures, the admin allowlists the PDQ

        def picture_hashes(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
            return []

    file = hash_file(PICTURE, dihedral=True)
    assert file.pdq is not None and file.phash is not None
    forms: list[dict[str, object]] = [
        {"algorithm": "pdq", "value": h.hex, "quality": 100} for h in file.pdq_dihedral or ()
    ]
    forms += [
        {"algorithm": "phash", "value": file.phash.hex},
        {"algorithm": "md5", "value": file.md5.hex},
        {"algorithm": "sha256", "value": file.sha256.hex},
        {"algorithm": "pdq", "value": sample_hashes.flip(file.pdq.hex, 32, 1), "quality": 100},
        {"algorithm": "pdq", "value": sample_hashes.flip(file.pdq.hex, 40, 2), "quality": 100},
    ]
    admin = world.key("admin")
    platform = world.key("platform", "acme")
    with world.app() as client:
        body = {
            "hashes": [{"algorithm": a, "value": v} for a, v in picture_hashes(PICTURE)],
            "reason": "a news photo",
        }
        response = client.post("/v1/admin/allowlist/pictures", json=body, headers=admin)
        if response.status_code in (404, 405):  # before issue 12: one value only
            response = client.post(
                "/v1/admin/allowlist",
                json={"algorithm": "pdq", "value": file.pdq.hex, "reason": "a news photo"},
                headers=admin,
            )
        assert response.status_code == 201, response.text
        accepted = sum(
            client.post("/v1/cases", json={"hashes": [f]}).status_code == 201 for f in forms
        )
        queries = [{"algorithm": a, "value": v} for a, v in query_hashes(PICTURE, local=False)]
        match = client.post(
            "/v1/match", json={"items": [{"ref": "u", "hashes": queries}]}, headers=platform
        )
        hits = len(match.json()["results"][0]["matches"])
        reads = allowlist_read_back(client, file.pdq.hex)
    return {
        "forms of the picture sent": len(forms),
        "accepted": accepted,
        "platform's hits on the picture": hits,
        "requests to read the entry back": reads,
    }


def allowlist_read_back(client: TestClient, entry: str) -> int | str:
    """Recover an allowlisted PDQ from the service's answers alone, as cheaply as they allow.

    The attacker holds a near copy (an edit of the picture, 20 bits away) and knows neither the
    entry nor the screening distance. It first walks to the edge: flip one more bit at a time
    until the copy is accepted; the copy before that lies exactly at the screening distance D.
    From there, flipping bit p moves it to D - 1 (bit p was wrong: still refused) or D + 1
    (right: accepted), so each answer on a single-bit flip reads one bit of the entry. With
    per-hash (or per-photo) answers, one request of 256 flips, each its own photo, reads them
    all; with one answer per request it takes a request per bit. Returns the requests used,
    or 'failed'.
    """
    requests = 0

    def refused(value: int) -> bool:
        nonlocal requests
        requests += 1
        body = {"hashes": [{"algorithm": "pdq", "value": f"{value:064x}", "quality": 100}]}
        return bool(client.post("/v1/cases", json=body).status_code != 201)

    guess = int(sample_hashes.flip(entry, 20, seed=7), 16)
    if not refused(guess):
        return "failed"
    for p in range(256):  # to the edge
        further = guess ^ (1 << p)
        if not refused(further):
            break
        guess = further
    flips = [guess ^ (1 << p) for p in range(256)]
    requests += 1
    body = {
        "hashes": [
            {"algorithm": "pdq", "value": f"{v:064x}", "quality": 100, "photo": f"f{p}"}
            for p, v in enumerate(flips)
        ]
    }
    answer = client.post("/v1/cases", json=body)
    rejected = answer.json().get("rejected", [])
    wrong = {r["index"] for r in rejected if "allowlist" in r["reason"]}
    if not wrong or len(wrong) == len(flips):  # one answer for all: a request per bit
        wrong = {p for p, value in enumerate(flips) if refused(value)}
    recovered = guess
    for p in wrong:
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
    from hashstop.hashing.local import local_hashes
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
            derived = picture_hashes(path)
            for algorithm, value in derived:
                if algorithm in entry:
                    entry[algorithm].append(int(value, 16))
            entries.append(entry)
            clients.append(
                {
                    "pdq": [int(v.pdq.hex, 16) for v in photo_variants(image)],
                    "phash": [int(phash_from_image(image).hex, 16)],
                    "local": [int(h.hex[:16], 16) for h in local_hashes(image)],
                }
            )
            entry["local"] = [int(v[:16], 16) for a, v in derived if a == "local"]
            for edit in (combined, random_border, random_resize_crop, repost):
                edited = edit(image, rng)
                queries = [int(v, 16) for a, v in query_hashes(edited, local=False) if a == "pdq"]
                edits["pdq"].append(nearest(queries, entry["pdq"]))
                phash = int(phash_from_image(edited).hex, 16)
                edits["phash"].append(nearest([phash], entry["phash"]))
    unrelated: dict[str, list[int]] = {"pdq": [], "phash": []}
    local_hits: list[int] = []  # per pair: how many of Q's local hashes lie near P's entry
    for p, entry in enumerate(entries):
        for q, client in enumerate(clients):
            if p != q:
                for algorithm in unrelated:
                    unrelated[algorithm].append(nearest(client[algorithm], entry[algorithm]))
                local_hits.append(sum(nearest([c], entry["local"]) <= 6 for c in client["local"]))
    result: dict[str, object] = {"photos": len(photos), "edits": len(edits["pdq"])}
    for algorithm in ("pdq", "phash"):
        e, u = np.array(edits[algorithm]), np.array(unrelated[algorithm])
        result[f"{algorithm} edits p50/p75/p90"] = "/".join(
            str(int(np.percentile(e, q))) for q in (50, 75, 90)
        )
        result[f"{algorithm} unrelated min"] = int(u.min())
        match, margin = (31, 16) if algorithm == "pdq" else (6, 4)
        result[f"{algorithm} edits within {match} / {match + margin}"] = (
            f"{np.mean(e <= match):.0%} / {np.mean(e <= match + margin):.0%}"
        )
    hits = np.array(local_hits)
    result["local: unrelated pairs with >= 1 / >= 2 hits within 6"] = (
        f"{int((hits >= 1).sum())} / {int((hits >= 2).sum())} of {hits.size}"
    )
    return result


# Attacks 3-6 (benchmarks/abuse_writes.py) and 8-11 (benchmarks/abuse_server.py) live in their
# own modules, which also run alone with more options; here they join the one table. Attacks 9,
# 10 and 11 start their own server processes or databases, so they ignore the world's database.
FLOOD_SECONDS = 20.0


def flood_of_writes(world: World) -> dict[str, object]:
    """Attack 3: three anonymous addresses add hashes as fast as they can (20 s)."""
    from benchmarks.abuse_writes import flood

    return dict(flood(world.url, FLOOD_SECONDS))


def spoofed_addresses(world: World) -> dict[str, object]:
    """Attack 4: 45 creations with forged X-Forwarded-For against a limit of 30."""
    from benchmarks.abuse_writes import spoofed_creations

    return {
        "passed, compose's trusted gateway": spoofed_creations(world.url, "172.31.250.1"),
        "passed, trusting * (before)": spoofed_creations(world.url, "*"),
    }


def feed_linkage(world: World) -> dict[str, object]:
    """Attack 5: how well the hash list still groups a victim's photos."""
    from benchmarks.abuse_writes import feed_linkage as linkage

    return dict(linkage(world.url))


def live_counts(world: World) -> dict[str, object]:
    """Attack 6: what an anonymous observer reads from the operations endpoints."""
    from benchmarks.abuse_writes import live_counts as counts

    return dict(counts(world.url))


def boundary_values(world: World) -> dict[str, object]:
    """Attack 8: boundary values over every operation and role; 5xx answers."""
    from benchmarks.abuse_server import attack_8

    return dict(attack_8(1))


def slow_connections(world: World) -> dict[str, object]:
    """Attack 9: 600 half-sent connections against a server under RLIMIT_NOFILE 512."""
    from benchmarks.abuse_server import attack_9

    return dict(attack_9(600))


def weak_keys(world: World) -> dict[str, object]:
    """Attack 10: weak secret keys offered to the service."""
    from benchmarks.abuse_server import attack_10

    return dict(attack_10())


def withdrawn_values_on_disk(world: World) -> dict[str, object]:
    """Attack 11: withdrawn values searched for in the SQLite files."""
    from benchmarks.abuse_server import attack_11

    return dict(attack_11(50))


SCENARIOS: list[Callable[[World], dict[str, object]]] = [
    quarantine_by_one_platform,
    allowlist_bypass,
    allowlist_margin,
    flood_of_writes,
    spoofed_addresses,
    feed_linkage,
    live_counts,
    photo_suspension,
    boundary_values,
    slow_connections,
    weak_keys,
    withdrawn_values_on_disk,
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
