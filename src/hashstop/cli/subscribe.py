"""`hashstop subscribe add|fetch`: a named bank that follows another exchange through pytx.

`add` names the bank, the pytx exchange (`sample`, `local_file`, `stop_ncii`, `ncmec`,
`fb_threatexchange`, `hashstop`) and its collaboration config (JSON, the fields of that API's
config class); `fetch` reads everything new since the stored checkpoint and applies it to the
bank (`service/subscriptions.py`), one transaction per delta with its checkpoint. Credentials
are never stored: pass `--credentials` (the API's credential string, as pytx reads it from its
environment variable) or let pytx find its own (`TX_STOPNCII_KEYS`, ...).

StopNCII: pytx 1.2.17's StopNCII exchange never deletes (it compares the hash value, not
`hashStatus`, with Withdrawn/Deleted), so the bank reads StopNCII through a subclass that treats a
record whose `hashStatus` is Withdrawn or Deleted as a deletion.

A fetch without a checkpoint, with a stale one, or from an exchange whose checkpoint holds no
position (pytx's sample, a local file: they return everything each time) is a full one: keys
the bank holds that the full fetch did not return are deleted at the end.

Needs `threatexchange` installed beside hashstop (`pip install threatexchange`).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from typing import Any

import click

from hashstop.cli.database import in_transaction, require_server
from hashstop.cli.errors import Problem, one_line_errors

# pytx SignalType name -> our algorithm
ALGORITHMS = {"pdq": "pdq", "video_md5": "md5"}


def _require_pytx() -> None:
    if importlib.util.find_spec("threatexchange") is None:
        raise Problem("subscriptions read exchanges through pytx: pip install threatexchange")


def exchange_classes() -> dict[str, Any]:
    """Our names of the pytx exchanges a bank may follow -> their classes."""
    from threatexchange.exchanges.clients.stopncii import api as stopncii
    from threatexchange.exchanges.fetch_state import FetchDelta
    from threatexchange.exchanges.impl.fb_threatexchange_api import (
        FBThreatExchangeSignalExchangeAPI,
    )
    from threatexchange.exchanges.impl.file_api import LocalFileSignalExchangeAPI
    from threatexchange.exchanges.impl.ncmec_api import NCMECSignalExchangeAPI
    from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
    from threatexchange.exchanges.impl.stop_ncii_api import (
        StopNCIICheckpoint,
        StopNCIISignalExchangeAPI,
        StopNCIISignalMetadata,
    )

    from hashstop.pytx import HashstopSignalExchangeAPI

    deleted = {stopncii.StopNCIICaseStatus.Withdrawn, stopncii.StopNCIICaseStatus.Deleted}
    types = {
        stopncii.StopNCIISignalType.ImagePDQ: "pdq",
        stopncii.StopNCIISignalType.VideoMD5: "video_md5",
    }

    class StatusAwareStopNCII(StopNCIISignalExchangeAPI):
        """pytx's StopNCII exchange, deleting what `hashStatus` says is withdrawn or deleted."""

        def fetch_iter(self, _supported: Any, checkpoint: Any) -> Any:
            start = self.api.DEFAULT_START_TIME if checkpoint is None else checkpoint.update_time
            for page in self.api.fetch_hashes_iter(start_timestamp=start):
                updates: dict[tuple[str, str], Any] = {}
                for record in page.hashRecords:
                    name = types.get(record.signalType)
                    if name is None:
                        continue
                    updates[(name, record.hashValue)] = (
                        None
                        if record.hashStatus in deleted
                        else StopNCIISignalMetadata(record.CSPFeedbacks)
                    )
                yield FetchDelta(updates, StopNCIICheckpoint.from_stopncii_fetch(page))

    return {
        "sample": StaticSampleSignalExchangeAPI,
        "local_file": LocalFileSignalExchangeAPI,
        "stop_ncii": StatusAwareStopNCII,
        "ncmec": NCMECSignalExchangeAPI,
        "fb_threatexchange": FBThreatExchangeSignalExchangeAPI,
        "hashstop": HashstopSignalExchangeAPI,
    }


def _key(key: Any) -> str:
    return json.dumps(key) if isinstance(key, tuple | list) else str(key)


def _collab(api_cls: Any, bank: str, fields: dict[str, Any]) -> Any:
    cfg_cls = api_cls.get_config_cls()
    try:
        return cfg_cls(**{**fields, "name": bank, "api": api_cls.get_name(), "enabled": True})
    except TypeError as exc:
        names = [f.name for f in dataclasses.fields(cfg_cls) if f.name not in ("name", "api")]
        raise Problem(f"the {api_cls.get_name()} config takes {', '.join(names)}: {exc}") from None


@click.group("subscribe")
def subscribe() -> None:
    """Banks that follow another exchange (StopNCII, NCMEC, ThreatExchange, a file) via pytx."""
    require_server()
    _require_pytx()


@subscribe.command("add")
@click.option("--bank", required=True, help="The bank's name (new).")
@click.option(
    "--exchange",
    "exchange",
    required=True,
    type=click.Choice(
        ["sample", "local_file", "stop_ncii", "ncmec", "fb_threatexchange", "hashstop"]
    ),
)
@click.option("--config", "config", default="{}", help="The exchange's collab config, as JSON.")
@one_line_errors
def subscribe_add(bank: str, exchange: str, config: str) -> None:
    """Make a bank that follows an exchange (admin, audited)."""
    from hashstop.service.actors import CLI
    from hashstop.service.subscriptions import subscribe as make

    try:
        fields = json.loads(config)
    except json.JSONDecodeError:
        raise Problem("--config is a JSON object of the exchange's collab config fields") from None
    if not isinstance(fields, dict):
        raise Problem("--config is a JSON object of the exchange's collab config fields")
    _collab(exchange_classes()[exchange], bank, fields)  # refuse a config pytx would refuse
    in_transaction(lambda session, _: make(session, CLI, bank, exchange, fields))
    click.echo(f"Bank {bank} follows {exchange}; run `hashstop subscribe fetch --bank {bank}`.")


@subscribe.command("fetch")
@click.option("--bank", required=True)
@click.option("--credentials", help="The exchange's credential string (never stored).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def subscribe_fetch(bank: str, credentials: str | None, as_json: bool) -> None:
    """Apply everything new from the bank's exchange (admin, audited)."""
    from threatexchange.exchanges.auth import SignalExchangeWithAuth
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal

    from hashstop.service.actors import CLI
    from hashstop.service.subscriptions import apply_delta, keys_held, subscription

    def load(session: Any, _: Any) -> tuple[str, dict[str, Any], str | None]:
        sub = subscription(session, bank)
        return sub.api, json.loads(sub.collab), sub.checkpoint

    api_name, fields, stored = in_transaction(load)
    api_cls = exchange_classes()[api_name]
    collab = _collab(api_cls, bank, fields)
    if issubclass(api_cls, SignalExchangeWithAuth):
        creds = None
        if credentials is not None:
            creds = api_cls.get_credential_cls()._from_str(credentials)  # noqa: SLF001
        api = api_cls.for_collab(collab, creds)
    else:
        api = api_cls.for_collab(collab)
    checkpoint = None
    if stored is not None:
        checkpoint = api_cls.get_checkpoint_cls()(**json.loads(stored))
        if checkpoint.is_stale():
            checkpoint = None
    # A checkpoint with no fields (pytx's sample, a local file) cannot resume: every fetch
    # returns everything, so it is a full one.
    full = checkpoint is None or not dataclasses.fields(checkpoint)
    signal_types = [PdqSignal, VideoMD5Signal]
    totals = {"added": 0, "removed": 0, "refused": 0, "deltas": 0}
    seen: set[str] = set()
    last = stored or "{}"

    def apply(updates: dict[str, Any], point: str) -> None:
        def run(session: Any, _: Any) -> Any:
            return apply_delta(session, CLI, subscription(session, bank), updates, point)

        done = in_transaction(run)
        totals["added"] += done.added
        totals["removed"] += done.removed
        totals["refused"] += done.refused
        totals["deltas"] += 1

    for delta in api.fetch_iter(signal_types, checkpoint):
        updates: dict[str, Any] = {}
        for raw_key, value in delta.updates.items():
            key = _key(raw_key)
            seen.add(key)
            if value is None:
                updates[key] = None
                continue
            converted = api_cls.naive_convert_to_signal_type(signal_types, collab, {raw_key: value})
            updates[key] = [
                (ALGORITHMS[s.get_name()], v)
                for s, values in converted.items()
                if s.get_name() in ALGORITHMS
                for v in values
            ]
        last = json.dumps(dataclasses.asdict(delta.checkpoint))
        apply(updates, last)
    if full:
        held = in_transaction(lambda session, _: keys_held(session, subscription(session, bank)))
        if held - seen:
            apply(dict.fromkeys(held - seen), last)
    if as_json:
        click.echo(json.dumps({"bank": bank, **totals}))
        return
    click.echo(
        f"Bank {bank}: {totals['added']} added, {totals['removed']} removed, "
        f"{totals['refused']} refused, in {totals['deltas']} delta(s)."
    )
