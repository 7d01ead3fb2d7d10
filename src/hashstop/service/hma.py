"""HMA's (OpenMediaMatch's) curator routes over HTTP, as `hashstop push hma` uses them.

The shapes are those of `OpenMediaMatch/blueprints/curation.py` (facebook/ThreatExchange):

- `POST /c/banks` `{"name": BANK}` -> 201 with the bank; 403 when it already exists.
- `POST /c/bank/<bank>/signal` `{"pdq": HEX, "note": NOTE}` -> `{"id": N, "signals": {...}}`.
- `GET /c/bank/<bank>/content/<id>` -> `{"id", "bank": {"name", ...}, "note", ...}`; 404 when
  there is no such content (the route looks the id up in every bank: `bank.name` says whose).
- `DELETE /c/bank/<bank>/content/<id>` -> `{"deleted": 0 or 1}` (0: already gone).

HMA has no authentication of its own; deployments put it behind a proxy. `headers` (for example
`Authorization`) are sent with every call.
"""

from __future__ import annotations

from typing import Any

import httpx

from hashstop.service.errors import DomainError


class HmaError(DomainError):
    """HMA could not be reached or refused a call (one line, no hash value)."""

    status = 502
    title = "HMA failed"
    type_slug = "hma-failed"


class HmaCurator:
    def __init__(
        self, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0
    ) -> None:
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, headers=headers or {}, timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise HmaError(f"HMA at {self.url} did not answer {method} {path}: {exc}") from None

    @staticmethod
    def _refused(answer: httpx.Response, what: str) -> HmaError:
        try:
            message = str(answer.json().get("message", ""))[:200]
        except (ValueError, AttributeError):
            message = answer.text[:200].replace("\n", " ")
        return HmaError(f"HMA refused to {what}: {answer.status_code} {message}".rstrip())

    def create_bank(self, bank: str) -> None:
        answer = self._call("POST", "/c/banks", json={"name": bank})
        if answer.status_code in (200, 201):
            return
        if answer.status_code == 403 and self.bank_exists(bank):
            return
        raise self._refused(answer, f"create bank {bank}")

    def bank_exists(self, bank: str) -> bool:
        return self._call("GET", f"/c/bank/{bank}").status_code == 200

    def add_signal(self, bank: str, signal_type: str, value: str, note: str) -> int:
        answer = self._call(
            "POST", f"/c/bank/{bank}/signal", json={signal_type: value, "note": note}
        )
        if answer.status_code not in (200, 201):
            raise self._refused(answer, f"add a {signal_type} signal to bank {bank}")
        try:
            return int(answer.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise HmaError(
                f"HMA's answer to adding a signal has no content id: {answer.text[:200]}"
            ) from None

    def get_content(self, bank: str, content_id: int) -> dict[str, Any] | None:
        answer = self._call(
            "GET", f"/c/bank/{bank}/content/{content_id}", params={"include_signals": "false"}
        )
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise self._refused(answer, f"read content {content_id}")
        body = answer.json()
        return body if isinstance(body, dict) else None

    def delete_content(self, bank: str, content_id: int) -> None:
        answer = self._call("DELETE", f"/c/bank/{bank}/content/{content_id}")
        if answer.status_code != 200:
            raise self._refused(answer, f"delete content {content_id} of bank {bank}")
