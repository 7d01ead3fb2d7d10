"""Logging set-up for the service: one line per record, no secrets, no hash values at INFO.

The code logs ids, counts and kinds of errors, never request bodies, Authorization headers,
case secrets, API keys or hash values; uvicorn's access log (which prints raw paths and query
strings) is turned off in favour of the API's own request log, which prints route templates.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_hashstop", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._hashstop = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True
