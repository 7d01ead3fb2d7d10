"""hashstop as a pytx exchange: HMA (OpenMediaMatch) and the `threatexchange` CLI follow
hashstop's own hash list, withdrawals and suspensions included (issue 17).

Load it as a pytx extension (`threatexchange config extensions add hashstop.pytx`, whose
manifest is `TX_MANIFEST` below) or list `HashstopSignalExchangeAPI` among an HMA's
`exchange_types`. It needs `threatexchange` installed beside hashstop (HMA has it); nothing of
the hashstop service is imported.

- The collaboration's `server_url` is the hashstop server; the credential is a platform key
  (`hsk_...`), from HMA's exchange credential, `TX_HASHSTOP_KEY`, or `~/.tx_hashstop_key`.
- `fetch_iter` pages through `GET /v1/hashlist` from the checkpoint (the last `next`), keyed by
  hash id: an entry with a value adds (or keeps) the hash, an entry without one (withdrawn,
  suspended) yields `None`, which pytx and HMA apply as a deletion. Fields it does not know are
  ignored, so additions to the hash list do not break it.
- PDQ arrives as pytx's `pdq`, MD5 as `video_md5`; other algorithms have no pytx signal type
  (or are not asked for) and are skipped.
- `report_opinion` sends a verdict back: the platform matches the signal (`POST /v1/match`)
  and gives feedback on that match (confirmed for POSITIVE_CLASS, false_positive for
  NEGATIVE_CLASS).

The module has no `from __future__ import annotations`: pytx's CLI reads the config dataclass's
field types at run time to build its options, and strings would break it.
"""

import typing as t
from dataclasses import dataclass, field

import requests
from threatexchange.exchanges import auth
from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.collab_config import CollaborationConfigWithDefaults
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPI
from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.signal_base import SignalType

# hashstop algorithm -> pytx signal type, and back
SIGNAL_TYPES: dict[str, type[SignalType]] = {"pdq": PdqSignal, "md5": VideoMD5Signal}
ALGORITHMS = {s.get_name(): a for a, s in SIGNAL_TYPES.items()}
PAGE = 1000
TIMEOUT = 60.0


@dataclass
class _Required:
    server_url: str = field(metadata={"help": "the hashstop server, e.g. https://hashstop.example"})


@dataclass
class HashstopCollabConfig(CollaborationConfigWithDefaults, _Required):
    """A hashstop server to follow."""


@dataclass
class HashstopCheckpoint(state.FetchCheckpointBase):
    """The hash list's `next`: everything up to this seq has been applied."""

    after: int = 0


@dataclass
class HashstopSignalMetadata(state.FetchedSignalMetadata):
    """One hashstop hash: its algorithm and value (hex), and the photo it belongs to."""

    algorithm: str
    value: str
    photo: str = ""

    def get_as_opinions(self) -> t.Sequence[state.SignalOpinion]:
        # Victims' reports: a platform checks a match before acting, as with StopNCII.
        return [state.SignalOpinion(False, state.SignalOpinionCategory.INVESTIGATION_SEED, set())]


@dataclass
class HashstopCredentials(auth.CredentialHelper):
    ENV_VARIABLE: t.ClassVar[str] = "TX_HASHSTOP_KEY"
    FILE_NAME: t.ClassVar[str] = "~/.tx_hashstop_key"

    api_key: str = field(metadata={"help": "a hashstop platform key (hsk_...)"})

    @classmethod
    def _from_str(cls, s: str) -> "HashstopCredentials":
        return cls(api_key=s.strip())

    def _are_valid(self) -> bool:
        return self.api_key.startswith("hsk_")


class HashstopSignalExchangeAPI(
    auth.SignalExchangeWithAuth[HashstopCollabConfig, HashstopCredentials],
    SignalExchangeAPI[
        HashstopCollabConfig,
        HashstopCheckpoint,
        HashstopSignalMetadata,
        str,
        HashstopSignalMetadata,
    ],
):
    """hashstop's `/v1/hashlist` as a pytx SignalExchangeAPI (keyed by hash id)."""

    def __init__(
        self,
        collab: HashstopCollabConfig,
        credentials: HashstopCredentials,
        session: requests.Session | None = None,
    ) -> None:
        self.collab = collab
        self.base = collab.server_url.rstrip("/")
        self.http = session or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {credentials.api_key}"

    @classmethod
    def get_name(cls) -> str:
        return "hashstop"

    @staticmethod
    def get_config_cls() -> type[HashstopCollabConfig]:
        return HashstopCollabConfig

    @staticmethod
    def get_checkpoint_cls() -> type[HashstopCheckpoint]:
        return HashstopCheckpoint

    @staticmethod
    def get_record_cls() -> type[HashstopSignalMetadata]:
        return HashstopSignalMetadata

    @staticmethod
    def get_credential_cls() -> type[HashstopCredentials]:
        return HashstopCredentials

    @classmethod
    def for_collab(
        cls,
        collab: HashstopCollabConfig,
        credentials: HashstopCredentials | None = None,
    ) -> "HashstopSignalExchangeAPI":
        return cls(collab, credentials or HashstopCredentials.get(cls))

    def _get(self, path: str, params: dict[str, t.Any]) -> dict[str, t.Any]:
        response = self.http.get(f"{self.base}{path}", params=params, timeout=TIMEOUT)
        response.raise_for_status()
        body: dict[str, t.Any] = response.json()
        return body

    def fetch_iter(
        self,
        supported_signal_types: t.Sequence[type[SignalType]],
        checkpoint: HashstopCheckpoint | None,
    ) -> t.Iterator[state.FetchDelta[str, HashstopSignalMetadata, HashstopCheckpoint]]:
        wanted = {
            ALGORITHMS[s.get_name()] for s in supported_signal_types if s.get_name() in ALGORITHMS
        }
        after = checkpoint.after if checkpoint is not None else 0
        while True:
            page = self._get("/v1/hashlist", {"after": after, "limit": PAGE})
            updates: dict[str, HashstopSignalMetadata | None] = {}
            for entry in page.get("entries", []):
                if entry.get("algorithm") not in wanted:
                    continue
                value = entry.get("value")
                key = str(entry["hash_id"])
                updates[key] = (
                    None
                    if value is None
                    else HashstopSignalMetadata(
                        entry["algorithm"], str(value), str(entry.get("photo") or "")
                    )
                )
            after = int(page.get("next", after))
            yield state.FetchDelta(updates, HashstopCheckpoint(after))
            if not page.get("has_more"):
                return

    @classmethod
    def naive_convert_to_signal_type(
        cls,
        signal_types: t.Sequence[type[SignalType]],
        collab: HashstopCollabConfig,
        fetched: t.Mapping[str, HashstopSignalMetadata],
    ) -> dict[type[SignalType], dict[str, HashstopSignalMetadata]]:
        names = {s.get_name(): s for s in signal_types}
        out: dict[type[SignalType], dict[str, HashstopSignalMetadata]] = {}
        for record in fetched.values():
            if record is None:
                continue
            signal_type = SIGNAL_TYPES.get(record.algorithm)
            if signal_type is None or signal_type.get_name() not in names:
                continue
            out.setdefault(names[signal_type.get_name()], {})[record.value] = record
        return out

    def report_opinion(
        self, s_type: type[SignalType], signal: str, opinion: state.SignalOpinion
    ) -> None:
        verdict = {
            state.SignalOpinionCategory.POSITIVE_CLASS: "confirmed",
            state.SignalOpinionCategory.NEGATIVE_CLASS: "false_positive",
        }.get(opinion.category)
        algorithm = ALGORITHMS.get(s_type.get_name())
        if verdict is None or algorithm is None:
            raise NotImplementedError
        query: dict[str, t.Any] = {
            "items": [
                {"ref": "pytx-opinion", "hashes": [{"algorithm": algorithm, "value": signal}]}
            ]
        }
        matched = self.http.post(f"{self.base}/v1/match", json=query, timeout=TIMEOUT)
        matched.raise_for_status()
        result = matched.json()["results"][0]
        if not result.get("matched"):
            raise ValueError("hashstop does not hold this signal (withdrawn or suspended?)")
        answer = self.http.post(
            f"{self.base}/v1/matches/{result['match_id']}/feedback",
            json={"verdict": verdict},
            timeout=TIMEOUT,
        )
        answer.raise_for_status()


TX_MANIFEST = ThreatExchangeExtensionManifest(apis=(HashstopSignalExchangeAPI,))
