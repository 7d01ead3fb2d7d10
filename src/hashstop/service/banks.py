"""Hash files in pytx's forms: export the active hashes, import a list into a named bank.

Forms (issue 17), the ones pytx and HMA read and write:
- `csv`: pytx's dataset CSV (`threatexchange dataset --csv`), with the header
  `signal_type,signal_str,collab,category,tags`; rows of our PDQ (`pdq`) and MD5 (`video_md5`).
- `lines`: one `<signal_type> <hash>` per line, the form of pytx's local file exchange
  (`LocalFileSignalExchangeAPI`).
- `values`: one bare hash per line, of one algorithm (any of ours but local hashes).

Export gives the values of active hashes only: a withdrawn hash has none, and a suspended one
stops travelling as it stops matching. Import puts the hashes in a *bank*: a named set held like
a case (same rules, allowlist screen, change log and matching) whose secret nobody has. Both are
for admins, and both are audited with their counts (never values).

A bank's republishing policy (`cases.republish`, issue 17) says whether its values go out in
the feeds (`/v1/hashlist`, the StopNCII-shaped feed, export, push): off by default for an
imported or subscribed bank, whose hashes are another exchange's. Its hashes match either way.
An admin turns it on or off later (`set_republish`, audited); followers are told by change-log
entries (`published` / `unpublished`).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import Conflict, InvalidInput, NotFound
from hashstop.service.matchable import hold, publish
from hashstop.service.rules import Rejection, SubmittedHash, sort_submissions
from hashstop.service.screening import AllowlistScreen, MatchDistances
from hashstop.service.tokens import new_case_id
from hashstop.storage.audit import AuditLog
from hashstop.storage.cases import CaseRepository, NewHash
from hashstop.storage.changelog import matchable_hashes
from hashstop.storage.models import Case, ChangeKind, Hash, HashStatus

FORMATS = ("csv", "lines", "values")
# our algorithm -> pytx's SignalType name
PYTX_SIGNAL = {"pdq": "pdq", "md5": "video_md5"}
ALGORITHM_OF = {name: algorithm for algorithm, name in PYTX_SIGNAL.items()}
VALUE_ALGORITHMS = ("pdq", "phash", "md5", "sha256")
CSV_FIELDS = ("signal_type", "signal_str", "collab", "category", "tags")
# Victims' hashes are reports to check, as pytx files StopNCII's.
CATEGORY = "INVESTIGATION_SEED"
BANK_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class Imported:
    bank: str
    accepted: int
    duplicates: int
    rejected: list[Rejection]  # `index` is the line number in the file (1-based)


def _check_format(fmt: str, algorithm: str | None) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"the format is one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "values" and algorithm not in VALUE_ALGORITHMS:
        raise InvalidInput(
            f"a file of bare values needs its algorithm ({', '.join(VALUE_ALGORITHMS)})"
        )
    if fmt != "values" and algorithm is not None and algorithm not in PYTX_SIGNAL:
        raise InvalidInput(
            f"pytx's forms carry {', '.join(PYTX_SIGNAL)} only; use the values form for {algorithm}"
        )


def export_hashes(
    session: Session,
    actor: Actor,
    fmt: str,
    *,
    algorithm: str | None = None,
    collab: str = "hashstop",
) -> list[str]:
    """The active hashes as the lines of a file in `fmt` (no line ends)."""
    actor.require_admin("export the hash list")
    _check_format(fmt, algorithm)
    wanted = {algorithm} if algorithm else set(PYTX_SIGNAL)
    seen: set[tuple[str, bytes]] = set()
    values: list[tuple[str, str]] = []
    for _, alg, value in matchable_hashes(session, published_only=True):
        if alg in wanted and (alg, value) not in seen:
            seen.add((alg, value))
            values.append((alg, value.hex()))
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for alg, hex_value in values:
            writer.writerow((PYTX_SIGNAL[alg], hex_value, collab, CATEGORY, ""))
        lines = out.getvalue().splitlines()
    elif fmt == "lines":
        lines = [f"{PYTX_SIGNAL[alg]} {hex_value}" for alg, hex_value in values]
    else:
        lines = [hex_value for _, hex_value in values]
    AuditLog(session).record(
        str(actor), "hashes.exported", "hashlist", format=fmt, hashes=len(values)
    )
    return lines


def _algorithm(signal_type: str) -> str | None:
    signal_type = signal_type.strip().lower()
    return ALGORITHM_OF.get(signal_type) or (
        signal_type if signal_type in VALUE_ALGORITHMS else None
    )


def parse_file(
    lines: Sequence[str], fmt: str, algorithm: str | None
) -> tuple[list[tuple[int, SubmittedHash]], list[Rejection]]:
    """(line number, hash) of each hash in the file, and the lines that are not one."""
    _check_format(fmt, algorithm)
    found: list[tuple[int, SubmittedHash]] = []
    bad: list[Rejection] = []
    if fmt == "csv":
        reader = csv.DictReader(lines)
        if reader.fieldnames is None or not {"signal_type", "signal_str"} <= set(reader.fieldnames):
            raise InvalidInput(
                "a pytx dataset CSV starts with the header "
                "signal_type,signal_str,collab,category,tags"
            )
        for row in reader:
            number = reader.line_num
            alg = _algorithm(row.get("signal_type") or "")
            if alg is None or (algorithm is not None and alg != algorithm):
                bad.append(Rejection(number, f"signal type {row.get('signal_type')!r} skipped"))
                continue
            found.append((number, SubmittedHash(alg, (row.get("signal_str") or "").strip())))
        return found, bad
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if fmt == "values":
            assert algorithm is not None  # noqa: S101 - checked above  # nosec B101
            found.append((number, SubmittedHash(algorithm, text)))
            continue
        signal_type, _, value = text.partition(" ")
        alg = _algorithm(signal_type)
        if alg is None or not value.strip():
            bad.append(Rejection(number, "not `<signal_type> <hash>` of pdq or video_md5"))
            continue
        found.append((number, SubmittedHash(alg, value.strip())))
    return found, bad


def bank_case(session: Session, name: str, *, create: bool, republish: bool = False) -> Case | None:
    """The bank named `name`, made if missing and `create` (with the republishing policy
    `republish`: off unless asked, another exchange's hashes are not ours to pass on)."""
    if not BANK_NAME.fullmatch(name):
        raise InvalidInput(
            "a bank name is 1-64 characters of a-z, 0-9 and _ . - starting with a letter or "
            f"digit, got {name!r}"
        )
    case = session.scalars(select(Case).where(Case.bank == name)).one_or_none()
    if case is None and create:
        case = CaseRepository(session).add(new_case_id(), secrets.token_bytes(32))
        case.bank = name
        case.republish = republish
        session.flush()
    return case


def set_republish(session: Session, actor: Actor, bank: str, republish: bool) -> int:
    """Turn the bank's republishing on or off (admin, audited); returns how many hashes the
    change tells followers about (0 when the policy already was `republish`).

    Its matchable hashes get one change-log entry each (`published` / `unpublished`): the feeds
    show an `unpublished` entry as a deletion (value None) and a `published` one with the value,
    so followers and push targets delete or get them. Matching is unchanged either way."""
    actor.require_admin("change a bank's republishing")
    hold(session)
    case = bank_case(session, bank, create=False)
    if case is None:
        raise NotFound(f"no bank named {bank}")
    if case.republish == republish:
        return 0
    case.republish = republish
    session.flush()
    rows = session.execute(
        select(Hash.id, Hash.algorithm)
        .where(Hash.case_id == case.id, Hash.status == HashStatus.ACTIVE, Hash.value.is_not(None))
        .order_by(Hash.id)
    ).all()
    kind = ChangeKind.PUBLISHED if republish else ChangeKind.UNPUBLISHED
    publish(session, kind, [(r.id, r.algorithm) for r in rows])
    AuditLog(session).record(
        str(actor),
        "bank.republish_changed",
        f"bank:{bank}",
        republish=republish,
        hashes=len(rows),
    )
    return len(rows)


def bank_policies(session: Session, actor: Actor) -> list[tuple[str, bool]]:
    """(name, republish) of every bank, by name (admin)."""
    actor.require_admin("list the banks")
    return [
        (str(r.bank), bool(r.republish))
        for r in session.execute(
            select(Case.bank, Case.republish).where(Case.bank.is_not(None)).order_by(Case.bank)
        )
    ]


def import_hashes(
    session: Session,
    actor: Actor,
    lines: Sequence[str],
    fmt: str,
    bank: str,
    *,
    algorithm: str | None = None,
    distances: MatchDistances | None = None,
    republish: bool | None = None,
) -> Imported:
    """Add the hashes of a file to the bank `bank` (made if missing, with republishing
    `republish`, off when None), under the case rules except PDQ's quality, which other
    exchanges do not carry. `republish` given for a bank that exists must be its policy."""
    actor.require_admin("import hashes")
    parsed, bad = parse_file(lines, fmt, algorithm)
    hold(session)
    case = bank_case(session, bank, create=True, republish=bool(republish))
    assert case is not None  # noqa: S101 - created above  # nosec B101
    if republish is not None and case.republish != republish:
        raise Conflict(
            f"the bank {bank} is {'' if case.republish else 'not '}republished; change that "
            f"with `hashstop bank republish {bank} --{'on' if republish else 'off'}`"
        )
    imported = add_to_bank(session, case, [h for _, h in parsed], distances)
    numbers = [n for n, _ in parsed]
    rejected = sorted(
        bad + [Rejection(numbers[r.index], r.reason) for r in imported.rejected],
        key=lambda r: r.index,
    )
    AuditLog(session).record(
        str(actor),
        "bank.imported",
        f"bank:{bank}",
        format=fmt,
        accepted=imported.accepted,
        duplicates=imported.duplicates,
        rejected=len(rejected),
    )
    return Imported(bank, imported.accepted, imported.duplicates, rejected)


def _allowlisted(entry_id: int) -> str:
    return f"near the allowlist's entry {entry_id} (a known benign picture): not imported"


def add_to_bank(
    session: Session,
    case: Case,
    submitted: Iterable[SubmittedHash],
    distances: MatchDistances | None = None,
) -> Imported:
    """Store `submitted` in the bank `case`; rejections are indexed by position."""
    hold(session)
    repo = CaseRepository(session)
    screen = AllowlistScreen(session, distances or MatchDistances())

    def reasons(hashes: Sequence[NewHash]) -> list[str | None]:
        near = screen.nearest([(h.algorithm, h.value) for h in hashes])
        # An import is an admin's: naming the entry is no oracle to an anonymous client.
        return [None if entry is None else _allowlisted(entry) for entry in near]

    accepted, rejected, duplicates = sort_submissions(
        list(submitted), repo.existing_values(case.id), reasons, require_quality=False
    )
    if accepted:
        rows = repo.add_hashes(case, accepted)
        publish(session, ChangeKind.ADDED, [(row.id, row.algorithm) for row in rows])
    return Imported(case.bank or "", len(accepted), duplicates, rejected)
