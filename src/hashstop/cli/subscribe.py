"""`hashstop subscribe add|fetch|feedback`: a named bank that follows another exchange through
pytx, and platforms' verdicts on its hashes sent back to that exchange (`report_opinion`).

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

`feedback` sends the bank's queued opinions (service/opinions.py) one by one, each outcome
recorded in its own transaction right after the exchange answered (at least once): `sent`,
`not_supported` (pytx raised NotImplementedError, or a local file), or a failure left pending.

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
    from threatexchange.exchanges.fetch_state import FetchDelta, SignalOpinionCategory
    from threatexchange.exchanges.impl.fb_threatexchange_api import (
        FBThreatExchangeSignalExchangeAPI,
    )
    from threatexchange.exchanges.impl.file_api import LocalFileSignalExchangeAPI
    from threatexchange.exchanges.impl.ncmec_api import NCMECSignalExchangeAPI
    from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
    from threatexchange.exchanges.impl.stop_ncii_api import (
        StopNCIICheckpoint,
        StopNCIICredentials,
        StopNCIISignalExchangeAPI,
        StopNCIISignalMetadata,
    )

    from hashstop.pytx import HashstopSignalExchangeAPI

    deleted = {stopncii.StopNCIICaseStatus.Withdrawn, stopncii.StopNCIICaseStatus.Deleted}
    feedback_values = {
        SignalOpinionCategory.POSITIVE_CLASS: stopncii.StopNCIICSPFeedbackValue.Blocked,
        SignalOpinionCategory.NEGATIVE_CLASS: stopncii.StopNCIICSPFeedbackValue.NotBlocked,
    }
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

        @classmethod
        def for_collab(
            cls, collab: Any, credentials: Any = None, feedback_key: str | None = None
        ) -> Any:
            # pytx's client holds the FetchHashes function key only; StopNCII gives each
            # endpoint its own, so SubmitFeedback gets `feedback_key` (else the fetch key).
            creds = credentials or StopNCIICredentials.get(cls)
            client = stopncii.StopNCIIAPI(
                creds.subscription_key,
                creds.fetch_function_key,
                additional_function_keys={
                    stopncii.StopNCIIEndpoint.SubmitFeedback: feedback_key
                    or creds.fetch_function_key
                },
                base_url_override=creds.base_url_override,
            )
            return cls(collab, client)

        def report_opinion(self, s_type: Any, signal: str, opinion: Any) -> None:
            """StopNCII's feedback on one hash (pytx 1.2.17's exchange has no report_opinion;
            its client's `submit_feedback` is the call): POSITIVE_CLASS is Blocked,
            NEGATIVE_CLASS NotBlocked, the reverse of pytx's reading of StopNCII's feedback."""
            value = feedback_values.get(opinion.category)
            signal_type = {name: t for t, name in types.items()}.get(s_type.get_name())
            if value is None or signal_type is None:
                raise NotImplementedError
            self.api.submit_feedback(signal_type, signal, value, set(opinion.tags))

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


def _exchange(
    api_name: str, collab: Any, credentials: str | None, feedback_key: str | None = None
) -> Any:
    """The pytx exchange of a bank, with its credentials (given, or found by pytx)."""
    from threatexchange.exchanges.auth import (
        SignalExchangeAPIInvalidAuthException,
        SignalExchangeAPIMissingAuthException,
        SignalExchangeWithAuth,
    )

    api_cls = exchange_classes()[api_name]
    if not issubclass(api_cls, SignalExchangeWithAuth):
        return api_cls.for_collab(collab)
    try:
        creds = None
        if credentials is not None:
            creds = api_cls.get_credential_cls()._from_str(credentials)  # noqa: SLF001
        if feedback_key is not None and api_name == "stop_ncii":
            return api_cls.for_collab(collab, creds, feedback_key=feedback_key)
        return api_cls.for_collab(collab, creds)
    except SignalExchangeAPIMissingAuthException as exc:
        hints = "; ".join(exc.hints)
        raise Problem(f"the {api_name} exchange needs --credentials ({hints})") from None
    except (SignalExchangeAPIInvalidAuthException, ValueError):
        raise Problem(f"the {api_name} credentials are not in the form pytx reads") from None


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
@click.option(
    "--republish/--no-republish",
    default=False,
    show_default=True,
    help="Publish the bank's values in the feeds (they match either way); "
    "`hashstop bank republish` changes it later.",
)
@one_line_errors
def subscribe_add(bank: str, exchange: str, config: str, republish: bool) -> None:
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
    in_transaction(
        lambda session, _: make(session, CLI, bank, exchange, fields, republish=republish)
    )
    click.echo(f"Bank {bank} follows {exchange}; run `hashstop subscribe fetch --bank {bank}`.")


@subscribe.command("fetch")
@click.option("--bank", required=True)
@click.option("--credentials", help="The exchange's credential string (never stored).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def subscribe_fetch(bank: str, credentials: str | None, as_json: bool) -> None:
    """Apply everything new from the bank's exchange (admin, audited)."""
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
    api = _exchange(api_name, collab, credentials)
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


# Exchanges hashstop does not send opinions to, though pytx may take them: a local file's
# `report_opinion` appends the hash to the file the bank follows, which is the operator's own.
NO_OPINIONS = {"local_file": "hashstop does not write into the file a bank follows"}


def _failure(exc: Exception) -> str:
    """A short account of a failed send: the error's type and HTTP status, never a value."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status is not None else "")


@subscribe.command("feedback")
@click.option("--bank", required=True)
@click.option("--credentials", help="The exchange's credential string (never stored).")
@click.option(
    "--feedback-key",
    help="StopNCII only: the SubmitFeedback function key (never stored); else the fetch key.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def subscribe_feedback(
    bank: str, credentials: str | None, feedback_key: str | None, as_json: bool
) -> None:
    """Send platforms' verdicts on the bank's hashes back to its exchange (admin, audited)."""
    import logging

    from threatexchange.exchanges.fetch_state import SignalOpinion, SignalOpinionCategory

    from hashstop.pytx import SIGNAL_TYPES
    from hashstop.service.actors import CLI
    from hashstop.service.opinions import FAILED, opinion_counts, pending_opinions, record_outcome
    from hashstop.service.subscriptions import subscription
    from hashstop.storage.models import OpinionState, Verdict

    log = logging.getLogger("hashstop.subscribe")
    categories = {
        Verdict.CONFIRMED.value: SignalOpinionCategory.POSITIVE_CLASS,
        Verdict.FALSE_POSITIVE.value: SignalOpinionCategory.NEGATIVE_CLASS,
    }

    def load(session: Any, _: Any) -> tuple[str, dict[str, Any], tuple[list[Any], int]]:
        sub = subscription(session, bank)
        return sub.api, json.loads(sub.collab), pending_opinions(session, CLI, sub)

    api_name, fields, (pending, gone) = in_transaction(load)
    api: Any = None
    if pending and api_name not in NO_OPINIONS:
        api = _exchange(
            api_name, _collab(exchange_classes()[api_name], bank, fields), credentials, feedback_key
        )
    totals = {"sent": 0, "not_supported": 0, "failed": 0, "gone": gone}
    first_error = ""
    for item in pending:
        error: str | None = None
        category = categories.get(item.verdict)
        signal_type = SIGNAL_TYPES.get(item.algorithm)
        if api is None or category is None or signal_type is None:
            outcome = OpinionState.NOT_SUPPORTED.value
            error = NO_OPINIONS.get(api_name)
        else:
            try:
                api.report_opinion(signal_type, item.value, SignalOpinion(True, category, set()))
                outcome = OpinionState.SENT.value
            except NotImplementedError:
                outcome = OpinionState.NOT_SUPPORTED.value
            except Exception as exc:  # a transport failure, a refusal: retried at the next run
                outcome, error = FAILED, _failure(exc)
                first_error = first_error or error
        log.info("bank %s: opinion %d %s", bank, item.id, outcome)

        def settle(
            session: Any,
            _: Any,
            item_id: int = item.id,
            done: str = outcome,
            why: str | None = error,
        ) -> None:
            record_outcome(session, CLI, subscription(session, bank), item_id, done, why)

        in_transaction(settle)  # its own transaction, right after the exchange answered
        totals["not_supported" if outcome == OpinionState.NOT_SUPPORTED.value else outcome] += 1
    counts = in_transaction(lambda session, _: opinion_counts(session, subscription(session, bank)))
    if as_json:
        click.echo(json.dumps({"bank": bank, **totals, "pending": counts["pending"]}))
    else:
        click.echo(
            f"Bank {bank}: {totals['sent']} opinion(s) sent, {totals['not_supported']} not "
            f"supported by the exchange, {totals['failed']} failed, {gone} gone (the hash was "
            f"erased first); {counts['pending']} pending."
        )
    if totals["failed"]:
        raise Problem(
            f"{totals['failed']} opinion(s) could not be sent ({first_error}); "
            "they are sent again at the next run"
        )
