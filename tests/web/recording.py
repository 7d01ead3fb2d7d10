"""What a browser context did on the network and in its console, for the page tests to judge.

`Recorder.attach(context)` listens on the whole context, so it sees the requests of every page
and of their Web Workers (the hashing worker's module loads are among them, which the tests
check), and every console message and uncaught error. Each request keeps its URL, method,
headers and body bytes.

`ImageBytes` answers "does this body carry any part of this file?". It keeps every 32-byte
window of the file that starts at a multiple of 16 (the first and the last included), and looks
at every 32-byte window of a body: so any run of 47 or more bytes of the file copied into a body
is found, wherever it sits. It does the same for the file's bytes written as hex (any case), and
for 44-character windows of base64 at each of the three alignments a slice can have (the
base64 of the file, and of the file without its first one or two bytes, so a slice starting at
any offset is covered), standard or URL-safe alphabet: any base64 of a run of 83 or more bytes
of the file is found.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

WINDOW = 32
URL_SAFE = bytes.maketrans(b"-_", b"+/")  # URL-safe base64 read as standard base64


@dataclass(frozen=True)
class RecordedRequest:
    url: str
    method: str
    headers: dict[str, str]
    body: bytes
    resource_type: str

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        if parts.scheme in ("blob",):
            inner = urlsplit(parts.path)
            return f"{inner.scheme}://{inner.netloc}"
        return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Recorder:
    requests: list[RecordedRequest] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, context: Any) -> Recorder:
        context.on("request", self._on_request)
        context.on("console", lambda m: self.console.append((m.type, m.text)))
        context.on("weberror", lambda e: self.errors.append(str(e.error)))
        return self

    def _on_request(self, request: Any) -> None:
        self.requests.append(
            RecordedRequest(
                url=request.url,
                method=request.method,
                headers=dict(request.headers),
                body=request.post_data_buffer or b"",
                resource_type=request.resource_type,
            )
        )

    def with_body(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.body]

    def to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.method == method and urlsplit(r.url).path.startswith(path_prefix)
        ]

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"] + self.errors

    def csp_violations(self) -> list[str]:
        return [text for _, text in self.console if "Content Security Policy" in text]


class ImageBytes:
    """The windows of one file (see the module docstring), ready to look for in bodies."""

    def __init__(self, name: str, data: bytes, *, stride: int = 16) -> None:
        if len(data) < WINDOW:
            raise ValueError(f"{name} is shorter than one window")
        self.name = name
        starts = [*range(0, len(data) - WINDOW + 1, stride), len(data) - WINDOW]
        self.windows = len(starts)
        self.raw = {data[o : o + WINDOW] for o in starts}
        self.hex = {w.hex().encode() for w in self.raw}
        # Every 44 characters (33 bytes) of the base64 at each alignment, starting every
        # `stride` groups of 4: a slice from offset k is encoded like the file from k % 3.
        self.base64: set[bytes] = set()
        for shift in range(3):
            encoded = base64.b64encode(data[shift:])
            self.base64 |= {encoded[i : i + 44] for i in range(0, len(encoded) - 43, 4 * stride)}

    def found_in(self, body: bytes) -> list[str]:
        """Where a window of this file appears in `body` (empty if nowhere)."""
        found: list[str] = []
        lowered = body.lower()
        for kind, haystack, size, windows in (
            ("raw", body, WINDOW, self.raw),
            ("hex", lowered, 2 * WINDOW, self.hex),
            ("base64", body.translate(URL_SAFE), 44, self.base64),
        ):
            hit = next(
                (i for i in range(len(haystack) - size + 1) if haystack[i : i + size] in windows),
                None,
            )
            if hit is not None:
                found.append(f"{kind} bytes of {self.name} at offset {hit} of the body")
        return found
