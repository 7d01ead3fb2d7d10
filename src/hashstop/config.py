"""The service's settings: one `Settings` object read from `HASHSTOP_` environment variables.

Development is the embedded SQLite database: it works with no configuration at all, and its
secret key is generated once and kept beside the database file (mode 0600), so that a backup of
the database restored elsewhere still verifies its case secrets and keys. Anything else
(PostgreSQL) is production: there `HASHSTOP_SECRET_KEY` is required. Wherever a key comes from
(the variable, on any database, or the key file) an empty, short, well-known or low-entropy key is
refused with one line, because every case secret and API key is stored only as an HMAC under it
(issue 12, attack 10: an empty key file silently gave an empty HMAC key).

Match thresholds. PDQ: 31 of 256 bits, Meta's published threshold, is the server maximum and the
default. pHash: 64 bits collide far more readily. For uniformly random 64-bit hashes the chance
that two lie within distance d of each other is sum(C(64, k), k <= d) / 2**64: 3.7e-14 at d = 4,
4.5e-12 at d = 6 and 3e-10 at d = 8. With a million stored hashes and ten million queries a day,
d = 6 would give about 45 chance matches a day and d = 4 well under one, while benign edits of the
PDQ conformance photos (blur, sharpen, resize, contrast, saturation) move pHash by 0-4 bits. So
pHash defaults to 4, and a request can never ask for more than 6 (`max_distance_phash`). Real
photographs are not uniformly random, which makes pHash worse, not better: it is a secondary
signal, PDQ is the primary one.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_BITS = 80
"""A key's estimated entropy (its length times the Shannon entropy of its characters) must
reach this. Random keys are far above it: over 200,000 draws the lowest estimate was 91 bits
for `secrets.token_hex(16)`, 119 for `token_urlsafe(24)` and 297 for `token_urlsafe(48)`, the
key the docs suggest; `"test-" + "k" * 40` is 65."""
GENERATE_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
# Values people paste from templates; refused outside development whatever their length.
_DEFAULT_SECRETS = frozenset(
    {"changeme", "changethis", "secret", "secret-key", "secretkey", "password", "hashstop", "test"}
)


class SettingsError(ValueError):
    """A configuration that must not run; the message says which variable to set and how."""


class Settings(BaseSettings):
    """Every setting of the service; environment variables are the names with `HASHSTOP_`."""

    # Each field's docstring is its description: the operators' configuration reference
    # (docs/operators.md) is made from them (scripts/settings_reference.py), and a test fails
    # when the two differ.
    model_config = SettingsConfigDict(
        env_prefix="HASHSTOP_", extra="ignore", use_attribute_docstrings=True
    )

    database_url: str = "sqlite:///./hashstop.db"
    """`sqlite:///PATH` (development, created by `serve`) or `postgresql+psycopg://USER@HOST/DB`."""
    secret_key: SecretStr | None = None
    """Key of every keyed hash (case secrets, API keys, sessions); required with PostgreSQL, at
    least 32 random characters (an empty, short or low-entropy key is refused on any database,
    and so is such a key file). SQLite: generated into `<database>.secret-key` when unset."""

    # Limits of one request.
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Largest request body in bytes (413 above)."""
    max_hashes_per_case_request: int = Field(default=500, ge=1)
    """Hashes in one case creation or addition."""
    max_items_per_match: int = Field(default=1000, ge=1)
    """Items (uploads) in one `POST /v1/match`."""
    max_hashes_per_item: int = Field(default=16, ge=1)
    """Hashes of one match item, local hashes not counted."""
    max_local_hashes_per_item: int = Field(default=48, ge=0)
    """Local hashes (issue 14) of one match item."""
    max_frames_per_video_item: int = Field(default=360, ge=1, le=10_000)
    """PDQ frame hashes of one video item of `POST /v1/match` (issue 13; 360 is what
    `query_hashes` sends at most: 6 minutes at one frame a second, thinned beyond)."""
    max_frames_per_match: int = Field(default=3600, ge=1)
    """PDQ frame hashes of all the video items of one `POST /v1/match` together."""
    video_min_query_share: float = Field(default=0.2, gt=0, le=1)
    """A video item matches a stored video when at least this share of its frames is within
    PDQ distance 31 of some frame of the stored video... (docs/videos.md: the measurement)"""
    video_min_stored_share: float = Field(default=0.2, ge=0, le=1)
    """...and at least this share of the stored video's frames is within 31 of some frame of
    the item."""
    max_hashlist_page: int = Field(default=10_000, ge=1)
    """Largest `limit` of one `GET /v1/hashlist` page (and `pageSize` of the StopNCII-shaped
    feed)."""
    retraction_days: int = Field(default=0, ge=0, le=3650)
    """Days a withdrawn hash's PDQ or MD5 value is kept, apart from the erased hash, so that the
    StopNCII-shaped feed (`/stopncii/v1/FetchHashes`, keyed by value) can tell its followers
    which value to delete. 0 (the default) keeps none: a withdrawal erases the value at once, as
    the victim pages promise, and those followers are not told of it (the pytx extension, keyed by
    hash id, is told either way). 30 would match pytx's StopNCII checkpoint."""

    # The hash list is published in batches that mix cases (issue 12, attack 5); the service's
    # own matching changes at once whatever these say.
    hashlist_batch_cases: int = Field(default=3, ge=1)
    """A hash-list batch is published once it mixes at least this many cases' changes..."""
    hashlist_batch_min_seconds: float = Field(default=300.0, ge=0)
    """...and its oldest change has waited this many seconds..."""
    hashlist_batch_max_seconds: float = Field(default=3600.0, ge=0)
    """...or, whatever it mixes, once its oldest change has waited this long: the most a
    platform that mirrors the list waits for a withdrawal."""
    # Limits of the server's connections (`hashstop serve`; issue 12, attack 9).
    header_timeout: float = Field(default=10.0, gt=0, le=600)
    """Seconds a connection may take to send a request's line and headers (and may stay idle
    before its first request); then it is closed."""
    body_timeout: float = Field(default=30.0, gt=0, le=3600)
    """Seconds a request may take to send its body once its headers are in; then it is closed."""
    keepalive_timeout: float = Field(default=5.0, gt=0, le=600)
    """Seconds an idle keep-alive connection is kept open between two requests."""
    max_connections: int = Field(default=1000, ge=8)
    """Open connections per worker; above it the oldest connection still sending its headers
    is closed. Capped at three quarters of the process's file-descriptor limit."""
    max_concurrent_requests: int = Field(default=200, ge=1)
    """Requests a worker handles at once; above it 503 with Retry-After (`/healthz` excepted)."""

    # Match thresholds (see the module docstring for the pHash choice).
    max_distance_pdq: int = Field(default=31, ge=0, le=64)
    """PDQ match threshold in bits: the default and the most a request may ask for."""
    default_distance_phash: int = Field(default=4, ge=0, le=16)
    """pHash match threshold when a request does not ask for one."""
    max_distance_phash: int = Field(default=6, ge=0, le=16)
    """The most pHash distance a request may ask for."""

    # Rate limits, per worker process: case creation per client address, matching per key.
    case_creations_per_hour: int = Field(default=30, ge=1)
    """Cases one client address may open per hour, per worker (429 above)."""
    # Budgets for writing (issue 12, attack 3): adding hashes was unlimited, and 3 anonymous
    # clients put 54,000 hashes into every worker's memory and every platform's feed in 35 s.
    hashes_per_address_per_hour: int = Field(default=5000, ge=1)
    """Hashes one client address may submit per hour, case creations and additions together,
    per worker (429 above); every request costs its number of hashes plus one. A photo is up to
    ~75 hashes (24 PDQ variants, 48 local hashes, pHash, MD5, SHA-256)."""
    hashes_per_hour: int = Field(default=200_000, ge=1)
    """Hashes all clients together may submit per hour, per worker: past it every write is
    refused (429), `hashstop_write_ceiling_hits_total` counts it and the audit log says so."""
    max_hashes_per_case: int = Field(default=40_000, ge=1)
    """The most hashes one case may hold (409 above: open another case)."""
    max_photos_per_case: int = Field(default=1000, ge=1)
    """The most photos one case may hold (409 above: open another case)."""
    match_requests_per_second: float = Field(default=2000.0, gt=0)
    """Sustained match requests per second per platform key, per worker."""
    match_burst: int = Field(default=4000, ge=1)
    """Match requests a platform key may send at once above the sustained rate."""

    key_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    """Seconds a worker trusts an API key it authenticated before reading it again, so a
    revocation reaches every worker within this time (0: read it on every request). On PostgreSQL
    a revocation also clears every worker's cache at once, by notification. Unknown and revoked
    keys are never cached."""

    # The index follows the change log: poll at most this often (seconds, at most 1).
    sync_interval: float = Field(default=0.5, gt=0, le=1.0)
    """Seconds between two reads of the change log by a worker's index (PostgreSQL also wakes
    it on every change)."""
    # /readyz answers 503 when the last successful sync is older than this (seconds).
    sync_stale_after: float = Field(default=5.0, gt=0)
    """`/readyz` answers 503 when the index last caught up longer ago than this (seconds)."""

    # Automatic quarantine (issue 6): a hash is suspended pending review when more than
    # `quarantine_matches` match records hit it within `quarantine_window` seconds from at least
    # `quarantine_platforms` platforms, or when `quarantine_false_positives` of its match records
    # were judged false positives. Off with `quarantine_enabled=false`.
    quarantine_enabled: bool = True
    """Suspend a hash automatically, pending review, when it behaves like a poisoned one."""
    quarantine_matches: int = Field(default=50, ge=1)
    """Quarantine a hash hit by more match records than this within the window..."""
    quarantine_window: int = Field(default=3600, ge=60, le=30 * 24 * 3600)
    """...of this many seconds..."""
    quarantine_platforms: int = Field(default=3, ge=1)
    """...from at least this many platforms."""
    quarantine_false_positives: int = Field(default=3, ge=1)
    """Quarantine a hash once this many of its match records (distinct uploads) stand as false
    positives, judged by at least `quarantine_platforms` platforms; fewer platforms only flag
    the photo for review."""
    quarantine_platform_false_positives: int = Field(default=20, ge=1)
    """Flag a platform for review when it judges more than this many matches false positives
    within the quarantine window."""

    # The /review pages: a signed-in browser session lasts this many minutes (then sign in again).
    review_session_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    """Minutes a moderator's signed-in browser session on /review lasts."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """DEBUG, INFO, WARNING or ERROR (no level logs secrets or hash values)."""

    # Faults (issue 7).
    sqlite_busy_timeout: float = Field(default=10.0, gt=0, le=600)
    """SQLite: seconds a write waits for another writer's lock before answering 503."""
    outage_match_records: int = Field(default=10_000, ge=0)
    """While the database is away, matches are still answered from memory and their records
    kept in memory (at most this many per worker; 503 beyond) to be written when it returns."""
    outage_key_grace: float = Field(default=600.0, ge=0)
    """While the database is away, a key that was live when a worker last read the keys (every
    10 s) is accepted, for matching from memory, for at most this many seconds; 0: never."""

    operations_token: SecretStr | None = None
    """A token (at least 32 characters) that lets a metrics scraper read `/metrics` and the
    detailed `/readyz` without an admin key; unset: only admin keys can. Anonymous callers get
    `/readyz`'s status and nothing else."""
    # Who runs the service, shown on every victim page (docs/operators.md).
    operator_name: str = Field(default="", max_length=200)
    """Who runs this service (an organisation's name), shown on every victim page; empty: the
    pages say that the operator has not given a name."""
    operator_contact: str = Field(default="", max_length=300)
    """How a person reaches the operator: an email address or an https:// address, shown on
    every victim page."""
    privacy_notice_url: str = Field(default="", max_length=500)
    """The https:// address of the operator's privacy notice, linked from every victim page."""
    helplines_file: Path | None = None
    """A JSON file of helplines by country, shown in the victim pages' "You are not alone" box
    (its format and an example: docs/operators.md)."""
    quick_exit_url: str = Field(default="https://www.wikipedia.org/", max_length=500)
    """The neutral site the victim pages' quick exit (a button, or the Esc key) goes to, in
    place of the page and without leaving it in the back button's history."""

    # Behind a reverse proxy (TLS ends there).
    forwarded_allow_ips: str = "127.0.0.1"
    """Comma-separated addresses or networks (CIDR) of the proxies whose X-Forwarded-For/-Proto
    headers are trusted, giving the client address (budgets, rate limits) and https (Secure
    cookies); never `*` behind a proxy that appends to X-Forwarded-For (see below)."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.default_distance_phash > self.max_distance_phash:
            raise SettingsError(
                "HASHSTOP_DEFAULT_DISTANCE_PHASH must not exceed HASHSTOP_MAX_DISTANCE_PHASH"
            )
        try:
            url = make_url(self.database_url)
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several types here
            raise SettingsError(f"HASHSTOP_DATABASE_URL is not a database URL: {exc}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise SettingsError(
                "HASHSTOP_DATABASE_URL must be sqlite:///PATH or postgresql+psycopg://..., "
                f"got a {url.get_backend_name()} URL"
            )
        for name in ("privacy_notice_url", "quick_exit_url"):
            value = getattr(self, name)
            if value and not value.startswith(("https://", "http://")):
                raise SettingsError(f"HASHSTOP_{name.upper()} must be an http(s):// address")
        token = self.operations_token
        if token is not None and len(token.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"HASHSTOP_OPERATIONS_TOKEN is too short: use at least {MIN_SECRET_KEY_LENGTH} "
                "random characters, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if not self.is_development and self.secret_key is None:
            raise SettingsError(
                "HASHSTOP_SECRET_KEY is required with a PostgreSQL database; generate one "
                f"with: {GENERATE_KEY}"
            )
        if self.secret_key is not None:
            # Also on SQLite: HASHSTOP_SECRET_KEY="" gave an empty HMAC key (red team).
            check_secret_strength(self.secret_key.get_secret_value())
        return self

    @property
    def is_development(self) -> bool:
        """True for the embedded SQLite database, the only place defaults are allowed."""
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None for PostgreSQL or an in-memory database."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).expanduser().resolve()

    @cached_property
    def secret_key_bytes(self) -> bytes:
        """The key of every keyed hash; in development generated once and kept on disk."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return load_or_create_key_file(self.key_file_path()).encode()

    def key_file_path(self) -> Path:
        """Where the development secret key lives: beside the SQLite file, else the data dir."""
        db = self.sqlite_path
        if db is not None:
            return db.with_name(db.name + ".secret-key")
        return Path(platformdirs.user_data_dir("hashstop")) / "secret-key"


def secret_weakness(value: str) -> str | None:
    """Why `value` is not a usable secret key (None: it is). An estimate: a key that passes may
    still be guessable (a sentence, a password); a random one never fails."""
    if not value.strip():
        return "it is empty"
    if len(value) < MIN_SECRET_KEY_LENGTH:
        return f"it has {len(value)} characters, fewer than {MIN_SECRET_KEY_LENGTH}"
    if value.strip().lower() in _DEFAULT_SECRETS:
        return "it is a well-known default"
    counts = Counter(value)
    bits = 0.0 - sum(n * math.log2(n / len(value)) for n in counts.values())
    if bits < MIN_SECRET_KEY_BITS:
        return f"it has about {bits:.0f} bits of entropy, fewer than {MIN_SECRET_KEY_BITS}"
    steps = sum(abs(ord(a) - ord(b)) <= 1 for a, b in zip(value, value[1:], strict=False))
    if steps / (len(value) - 1) >= 0.6:
        return "it is mostly a run or a sequence of characters"
    trigrams = {value[i : i + 3] for i in range(len(value) - 2)}
    if len(trigrams) / (len(value) - 2) < 0.6:
        return "it repeats itself"
    return None


def check_secret_strength(value: str, source: str = "HASHSTOP_SECRET_KEY") -> None:
    """Refuse a secret key that is empty, short, a well-known default or of low entropy."""
    weakness = secret_weakness(value)
    if weakness is not None:
        raise SettingsError(
            f"{source} is too weak ({weakness}): use at least {MIN_SECRET_KEY_LENGTH} random "
            f"characters, e.g. {GENERATE_KEY}"
        )


def load_or_create_key_file(path: Path) -> str:
    """Read the key file, or create it with a fresh random key readable by its owner only."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        text = ""
    if path.exists():
        # An existing file is never replaced (case secrets and keys are HMACs under it), and
        # an empty or weak one is refused rather than used (red team: an empty file gave an
        # empty HMAC key).
        _check_key_file(path, text)
        return text
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Write a private temporary file, then link it into place: the link either creates the
    # complete file or fails because another worker already did, whose key then wins.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text().strip()
        _check_key_file(path, key)
    finally:
        tmp.unlink()
    return key


def _check_key_file(path: Path, text: str) -> None:
    weakness = secret_weakness(text)
    if weakness is not None:
        raise SettingsError(
            f"the secret key file {path} is not usable ({weakness}): restore it from a backup, "
            "or delete it to generate a new key (case secrets and API keys made under the old "
            "one stop working)"
        )
