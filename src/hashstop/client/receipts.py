"""Receipts: the case id and secret, kept on the victim's own device so they never retype them.

A receipt is a small JSON file, `<case id>.json`, in the `receipts` folder of the user's data
folder (`platformdirs.user_data_dir("hashstop")`, or `HASHSTOP_DATA_DIR`). The folder is made
mode 0700 and each file 0600, written to a private temporary file first and then renamed into
place, so that no other user can read a secret and no crash leaves half a receipt.

A receipt holds what the victim needs to come back to the case (id, secret, server, time) and
counts; never a file name or path, never a hash: a receipt found by someone else must not say
which pictures it is about.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs

from hashstop.i18n import _

CASE_ID = re.compile(r"[0-9a-z]{1,32}")
DATA_DIR_VARIABLE = "HASHSTOP_DATA_DIR"


class ReceiptError(Exception):
    """A receipt that cannot be found, read or written; `str()` is one line for a person."""


@dataclass(frozen=True)
class Receipt:
    case_id: str
    secret: str
    server: str
    created_at: str
    photos: int = 0
    other_files: int = 0
    fingerprints_sent: int = 0
    fingerprints_kept: int = 0

    def as_json(self) -> dict[str, Any]:
        note = _(
            "Keep this file private: with the case id and secret, anyone can see or withdraw "
            "this case."
        )
        return {**asdict(self), "note": note}


def data_dir() -> Path:
    """The user's hashstop data folder (HASHSTOP_DATA_DIR overrides it)."""
    override = os.environ.get(DATA_DIR_VARIABLE)
    return Path(override) if override else Path(platformdirs.user_data_dir("hashstop"))


def receipts_dir() -> Path:
    return data_dir() / "receipts"


def is_case_id(text: str) -> bool:
    return CASE_ID.fullmatch(text) is not None


def receipt_path(case_id: str) -> Path:
    if not is_case_id(case_id):
        raise ReceiptError(
            _(
                "%(case)s is not a case ID (case IDs are lower-case letters and digits)",
                case=repr(case_id),
            )
        )
    return receipts_dir() / f"{case_id}.json"


def save(receipt: Receipt) -> Path:
    """Write the receipt readable by its owner only; return where it is."""
    path = receipt_path(receipt.case_id)
    folder = path.parent
    try:
        if not folder.parent.exists():
            folder.parent.mkdir(mode=0o700, parents=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
        tmp = folder / f".{receipt.case_id}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(receipt.as_json(), out, indent=2)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise ReceiptError(
            _(
                "could not save the receipt in %(folder)s: %(reason)s",
                folder=folder,
                reason=exc.strerror,
            )
        ) from None
    return path


def load(case_id: str) -> Receipt | None:
    """The saved receipt of `case_id`, None if there is none; ReceiptError if it is unreadable."""
    path = receipt_path(case_id)
    if not path.exists():
        return None
    return read(path)


def read(path: Path) -> Receipt:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReceiptError(
            _("cannot read the receipt %(path)s: %(reason)s", path=path, reason=exc.strerror)
        ) from None
    except ValueError:
        raise ReceiptError(
            _("the receipt %(path)s is damaged (it is not valid JSON)", path=path)
        ) from None
    try:
        receipt = Receipt(
            case_id=str(data["case_id"]),
            secret=str(data["secret"]),
            server=str(data["server"]),
            created_at=str(data.get("created_at", "")),
            photos=int(data.get("photos", 0)),
            other_files=int(data.get("other_files", 0)),
            fingerprints_sent=int(data.get("fingerprints_sent", 0)),
            fingerprints_kept=int(data.get("fingerprints_kept", 0)),
        )
    except (KeyError, TypeError, ValueError):
        raise ReceiptError(
            _("the receipt %(path)s is damaged (it lacks the case ID, secret or server)", path=path)
        ) from None
    if not is_case_id(receipt.case_id):
        raise ReceiptError(
            _("the receipt %(path)s is damaged (its case ID is not valid)", path=path)
        )
    return receipt


def saved_paths() -> list[Path]:
    """Every receipt file on this device, sorted by name."""
    folder = receipts_dir()
    try:
        return sorted(p for p in folder.glob("*.json") if is_case_id(p.stem))
    except OSError as exc:
        raise ReceiptError(
            _(
                "cannot read the receipts folder %(folder)s: %(reason)s",
                folder=folder,
                reason=exc.strerror,
            )
        ) from None
