"""Idempotent case opening: a retried `POST /v1/cases` never opens a second case.

A victim's client that sends a case opening and loses the answer (a timeout, a dropped
connection, a proxy's 502) cannot know whether the case was opened. It sends the request again
with the same `Idempotency-Key` header, and the server answers with the case the first request
opened, with the same case id *and the same secret*, instead of opening another.

Why the secret can be given again although it is stored only as a keyed hash. For a case opened
with an idempotency key the secret is not random but derived:
`secret = HMAC(server key, "case-secret-of-idempotency-key" | idempotency key | case id)`, 125
bits in the usual `hsc_` format. The server stores only `HMAC(server key, "idempotency-key" |
key)` (another label, so the stored value says nothing about the secret), the case, the time and
a keyed hash of the request, and recomputes the secret when the same key comes back.

Why that is sound:

- The idempotency key becomes, for a while, as good as the secret: whoever presents it with the
  same request learns the secret. So it must be as unguessable as one: the format is fixed at 43
  characters of base64url, the encoding of 32 random bytes (256 bits; `secrets.token_urlsafe(32)`,
  or `crypto.getRandomValues` in a browser). The server cannot measure entropy, but it refuses
  what is obviously not random (fewer than 16 different characters: a repeated character, the
  encoding of zero bytes, a short pattern; a random key has about 31) and every other shape (a
  UUID, a counter, a timestamp). A refused key opens nothing: 422 problem+json.
- It travels only where the secret travels (the request that receives the secret in its answer),
  is never logged (request logs carry no headers), and is stored only as a keyed hash: a copy of
  the database gives neither the keys nor the secrets, exactly as for random secrets; with the
  server key as well, recomputing a secret still needs the idempotency key, which is nowhere.
- A replay must repeat the request: the same hashes, in the same order, with the same fields
  (compared through a keyed hash of the request). A different request with a used key is refused
  with 422 and learns nothing, so a leaked key without the victim's exact hashes is worthless.
- The window is short: a replay is honoured for 24 hours after the case was opened. Afterwards
  the key is refused (422) and opens nothing. The record is kept as long as the case, so a key
  opens at most one case ever, and no request can make the server compute the secret of one
  case while opening another; the case id inside the derivation binds each secret to its case.
- Concurrent requests with the same key are serialised (an advisory lock on PostgreSQL, the
  single writer of SQLite), so the second waits for the first and then replays it.

A request without the header opens a case with a fresh random secret, as before. This module
never logs or stores an idempotency key, a secret, or the hashes of a request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import astuple
from datetime import timedelta

from hashstop.service.errors import InvalidInput
from hashstop.service.rules import SubmittedHash
from hashstop.service.tokens import Keyring

REPLAY_WINDOW = timedelta(hours=24)
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{43}")
MIN_DISTINCT_CHARACTERS = 16
KEY_FORMAT = (
    "an Idempotency-Key is 43 characters of base64url (A-Z a-z 0-9 _ -), the encoding of 32 "
    "random bytes, e.g. Python's secrets.token_urlsafe(32); make a new one for each submission"
)


def check_idempotency_key(key: str) -> str:
    """`key` if it has the required format and does not look made by hand; InvalidInput if not."""
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(f"this Idempotency-Key is refused: {KEY_FORMAT}")
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        raise InvalidInput(f"this Idempotency-Key does not look random: {KEY_FORMAT}")
    return key


def request_hash(keyring: Keyring, submitted: Sequence[SubmittedHash]) -> bytes:
    """A keyed hash of the request's hashes, as sent (order and every field count)."""
    canonical = json.dumps([astuple(h) for h in submitted], separators=(",", ":"))
    return keyring.digest("idempotent-case-request", canonical)


REUSED_FOR_ANOTHER_REQUEST = (
    "this Idempotency-Key was already used for a different submission; a retry must send the "
    "same hashes again, and a new submission needs a new key"
)
EXPIRED = (
    "this Idempotency-Key was used more than 24 hours ago and cannot be used again; make a new "
    "key to open a new case (the earlier case still exists: use its case id and secret)"
)
