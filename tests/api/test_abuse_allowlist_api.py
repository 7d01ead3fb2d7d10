"""Issue 12, attack 2: getting a benign picture (already on the allowlist) blocked anyway.

Before issue 12 the allowlist held one value; an anonymous case registered the picture's other
hashes (its rotations and flips, pHash, MD5, SHA-256, a copy 32 bits away) and all were
accepted; per-hash answers read the entry back in 2 requests. Now an entry is the picture: every
hash a client could derive from it, screened with a margin past the match distance; a request
with any hit is refused whole, with one answer that names no hash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hashstop.hashing import hash_file, query_hashes
from hashstop.hashing.local import local_hashes
from hashstop.hashing.picture import picture_hashes
from hashstop.hashing.variants import photo_variants
from tests import sample_hashes
from tests.api.moderation import audit, headers

IMAGES = Path(__file__).resolve().parents[1] / "data" / "pdq-conformance" / "images"
PICTURE = IMAGES / "bridge-mods" / "aaa-orig.jpg"
EDITED = IMAGES / "bridge-mods" / "blur-a-little.jpg"


@pytest.fixture(scope="module")
def picture():
    hashes = picture_hashes(PICTURE)
    file = hash_file(PICTURE, dihedral=True)
    return {"entry": hashes, "file": file}


def submit(client, hashes):
    return client.post("/v1/cases", json={"hashes": hashes})


def pdq(value, **extra):
    return {"algorithm": "pdq", "value": value, "quality": 100, **extra}


def matched(client, platform, hashes):
    body = {
        "items": [{"ref": "upload", "hashes": [{"algorithm": a, "value": v} for a, v in hashes]}]
    }
    response = client.post("/v1/match", json=body, headers=platform)
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["matched"]


def test_an_allowlisted_picture_cannot_be_registered_in_any_form(client, make_key, picture):
    admin = headers(make_key("admin", name="root"))
    platform = headers(make_key("platform", name="acme", platform="acme"))
    file = picture["file"]

    # Stored before the picture was allowlisted: the victim client's hashes of it, as a photo.
    stored = [pdq(v.pdq.hex, photo="meme", variant=v.name) for v in photo_variants(PICTURE)] + [
        {"algorithm": "md5", "value": file.md5.hex, "photo": "meme"},
        {"algorithm": "phash", "value": file.phash.hex, "photo": "meme"},
    ]
    before = submit(client, stored)
    assert before.status_code == 201 and before.json()["accepted"] == len(stored)
    queries = query_hashes(PICTURE, local=False)
    assert matched(client, platform, queries)

    body = {
        "hashes": [{"algorithm": a, "value": v} for a, v in picture["entry"]],
        "reason": "a news photo",
    }
    added = client.post("/v1/admin/allowlist/pictures", json=body, headers=admin)
    assert added.status_code == 201, added.text
    result = added.json()
    assert result["entries"] == len(picture["entry"]) and result["photos_suspended"] == 1
    assert len(result["suspended"]) == len(stored)  # the photo whole, not one hash of it
    assert not matched(client, platform, queries)  # a platform matching it as the README says
    (entry,) = audit(client, admin, "allowlist.picture_added")
    assert entry["details"]["photos_suspended"] == 1

    # Each form of the picture an attacker could send: every one refused.
    entry_pdq = file.pdq.hex
    attempts = [pdq(h.hex) for h in file.pdq_dihedral or ()]  # its 8 rotations and flips
    attempts += [
        {"algorithm": "phash", "value": file.phash.hex},
        {"algorithm": "md5", "value": file.md5.hex},
        {"algorithm": "sha256", "value": file.sha256.hex},
        pdq(sample_hashes.flip(entry_pdq, 32, seed=1)),  # a copy just past the match distance
        pdq(sample_hashes.flip(entry_pdq, 40, seed=2)),
    ]
    attempts += [pdq(v.pdq.hex) for v in photo_variants(EDITED)]  # an edited copy's hashes
    for attempt in attempts:
        answer = submit(client, [attempt])
        assert answer.status_code == 422, (attempt, answer.text)
    # Its local hashes alone (several agreeing would match the picture's uploads): refused.
    local = [
        {"algorithm": "local", "value": h.hex, "photo": "patches"} for h in local_hashes(EDITED)
    ]
    assert local and submit(client, local).status_code == 422
    # One at a time into one photo: the second is refused (the photo's stored ones count).
    own = [h.hex for h in local_hashes(PICTURE)]
    first = submit(client, [{"algorithm": "local", "value": own[0], "photo": "drip"}])
    assert first.status_code == 201  # one local hit alone is weak evidence (chance hits)
    more = client.post(
        f"/v1/cases/{first.json()['case_id']}/hashes",
        json={"hashes": [{"algorithm": "local", "value": own[1], "photo": "drip"}]},
        headers=headers(first.json()["secret"]),
    )
    assert more.status_code == 200 and more.json()["accepted"] == 0

    # Hidden among unrelated photos in one request: refused whole, nothing stored.
    mixed = [pdq(sample_hashes.pdq(900 + i), photo=f"p{i}") for i in range(5)]
    assert file.pdq_dihedral is not None
    mixed.insert(3, pdq(file.pdq_dihedral[2].hex, photo="x"))
    answer = submit(client, mixed)
    assert answer.status_code == 422
    assert answer.json()["rejected"] and len(answer.json()["rejected"]) == len(mixed)
    # Unrelated photos alone are accepted: the screen does not refuse everything.
    assert submit(client, [pdq(sample_hashes.pdq(950))]).status_code == 201


def test_answers_do_not_read_the_entry_back(client, make_key, picture):
    """The read-back of issue 12: 256 single-bit flips of a near copy, one per photo, in one
    request. Per-hash answers told which flips moved away (the bits that were right); now every
    hash gets the same answer, so one request tells nothing about any bit."""
    admin = headers(make_key("admin", name="root"))
    entry_pdq = picture["file"].pdq.hex
    added = client.post(
        "/v1/admin/allowlist",
        json={"algorithm": "pdq", "value": entry_pdq, "reason": "a meme"},
        headers=admin,
    )
    assert added.status_code == 201
    guess = int(sample_hashes.flip(entry_pdq, 47, seed=3), 16)  # at the screening distance
    flips = [pdq(f"{guess ^ (1 << p):064x}", photo=f"f{p}") for p in range(256)]
    answer = submit(client, flips)
    assert answer.status_code == 422
    reasons = {r["reason"] for r in answer.json()["rejected"]}
    assert len(reasons) == 1  # one answer for all: nothing per hash
    (reason,) = reasons
    assert "allowlist" in reason and entry_pdq not in reason and "entry" not in reason


def test_the_admin_adds_the_picture_from_the_command_line(client, make_key, database_url, picture):
    from tests.api.test_allowlist_api import run_cli

    platform = headers(make_key("platform", name="acme", platform="acme"))
    mirrored = picture["file"].pdq_dihedral[4].hex  # a flipped copy, registered beforehand
    stored = submit(client, [pdq(mirrored, photo="m"), pdq(sample_hashes.pdq(960), photo="m")])
    assert stored.status_code == 201
    printed = run_cli(database_url, "add", "--image", str(PICTURE), "--print-hashes")
    assert printed.exit_code == 0, printed.output
    listed = [(h["algorithm"], h["value"]) for h in json.loads(printed.output)]
    assert listed == picture["entry"]
    added = run_cli(database_url, "add", "--image", str(PICTURE), "--reason", "meme", "--json")
    assert added.exit_code == 0, added.output
    result = json.loads(added.output)
    assert result["photos_suspended"] == 1 and len(result["suspended"]) == 2  # the photo whole
    assert not matched(client, platform, [("pdq", sample_hashes.pdq(960))])
    missing = run_cli(database_url, "add", "--image", "/nonexistent.jpg", "--reason", "r")
    assert missing.exit_code != 0 and len(missing.output.strip().splitlines()) == 1
    both = run_cli(database_url, "add", "--image", str(PICTURE), "--algorithm", "pdq")
    assert both.exit_code != 0 and "not both" in both.output
