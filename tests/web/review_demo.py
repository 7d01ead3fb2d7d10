"""A small, made-up moderation scene for the browser tests and the README screenshots.

Three platforms match uploads against a few generated hashes (random, shaped like real PDQ
hashes; no image is involved), give verdicts, and one hash is flooded until the quarantine
holds it. Everything goes through the real HTTP API of a running app, except the keys, which are
made with the key service as `hashstop keys create` would.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from hashstop.config import Settings
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database
from tests import sample_hashes

PLATFORMS = ("photoshare", "chatapp", "clipsite")


@dataclass
class Scene:
    base: str
    keys: dict[str, str] = field(default_factory=dict)
    match_ids: dict[str, str] = field(default_factory=dict)
    hash_ids: dict[str, int] = field(default_factory=dict)

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def post(self, path: str, who: str | None, body: dict[str, Any]) -> dict[str, Any]:
        headers = self.bearer(who) if who else {}
        response = httpx.post(f"{self.base}{path}", json=body, headers=headers, timeout=10)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def match(self, platform: str, seed: int, ref: str, bits: int = 0) -> dict[str, Any]:
        """Match an upload whose PDQ hash is `bits` bits away from the hash of `seed`."""
        value = sample_hashes.flip(sample_hashes.pdq(seed), bits, seed=len(ref))
        body = {"items": [{"ref": ref, "hashes": [{"algorithm": "pdq", "value": value}]}]}
        result: dict[str, Any] = self.post("/v1/match", platform, body)["results"][0]
        if result["matched"]:
            self.match_ids[ref] = result["match_id"]
            self.hash_ids[f"pdq{seed}"] = result["matches"][0]["hash_id"]
        return result


def make_keys(settings: Settings) -> dict[str, str]:
    """Platform keys for each platform, a global and a scoped moderator, and an admin."""
    database = Database(settings.database_url, pool_size=1)
    wanted = [(p, "platform", p) for p in PLATFORMS] + [
        ("moderator", "moderator", None),
        ("scoped", "moderator", "photoshare"),
        ("admin", "admin", None),
    ]
    tokens: dict[str, str] = {}
    try:
        with database.transaction() as session:
            service = KeyService(session, Keyring(settings.secret_key_bytes))
            for name, role, platform in wanted:
                key_name = {"moderator": "alex-moderator", "scoped": "sam-photoshare"}.get(
                    name, f"{name}-{secrets.token_hex(2)}"
                )
                tokens[name] = service.create(name=key_name, role=role, platform=platform).token
    finally:
        database.dispose()
    return tokens


def build(base: str, settings: Settings, *, flood: bool = True) -> Scene:
    """Cases, matches from three platforms, verdicts, and (with `flood`) one quarantined hash.

    The quarantine needs more than `settings.quarantine_matches` matches from at least
    `settings.quarantine_platforms` platforms within the window.
    """
    scene = Scene(base, make_keys(settings))
    for seeds in ((11, 12), (21,), (31, 32, 33), (41,)):
        scene.post("/v1/cases", None, {"hashes": [sample_hashes.pdq_entry(s) for s in seeds]})
    scene.match("photoshare", 11, "ps-post-48213", 6)
    scene.match("chatapp", 11, "ca-msg-99120", 2)
    scene.match("photoshare", 12, "ps-post-48377", 14)
    scene.match("clipsite", 21, "cs-clip-5512", 27)
    scene.match("chatapp", 31, "ca-msg-99871", 0)
    scene.match("clipsite", 32, "cs-clip-5530", 9)
    scene.match("photoshare", 33, "ps-post-48940", 4)
    for platform, ref, verdict, action in (
        ("photoshare", "ps-post-48213", "confirmed", "removed"),
        ("chatapp", "ca-msg-99120", "confirmed", "blocked"),
        ("clipsite", "cs-clip-5512", "false_positive", "none"),
    ):
        scene.post(
            f"/v1/matches/{scene.match_ids[ref]}/feedback",
            platform,
            {"verdict": verdict, "action": action},
        )
    if flood:
        n = settings.quarantine_matches + 1
        for i in range(n):
            scene.match(PLATFORMS[i % len(PLATFORMS)], 41, f"viral-{i:03d}", i % 4)
        scene.post(
            f"/v1/matches/{scene.match_ids['viral-000']}/feedback",
            "photoshare",
            {"verdict": "false_positive", "action": "none"},
        )
    return scene


def history(scene: Scene, days: int = 14) -> None:
    """More matches and verdicts for a fuller activity chart (the caller spreads them in time)."""
    for i in range(days * 3):
        seed = (11, 12, 21, 31, 32, 33)[i % 6]
        platform = PLATFORMS[i % 3]
        result = scene.match(platform, seed, f"h-{i:03d}", i % 7)
        if i % 3 == 0:
            verdict = "false_positive" if i % 9 == 0 else "confirmed"
            scene.post(
                f"/v1/matches/{result['match_id']}/feedback",
                platform,
                {"verdict": verdict, "action": "removed" if verdict == "confirmed" else "none"},
            )
