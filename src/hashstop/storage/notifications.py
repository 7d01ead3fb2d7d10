"""Waking a worker early when another one commits a change (PostgreSQL LISTEN/NOTIFY).

Appending to the change log on PostgreSQL also sends `NOTIFY hashstop_changes`, delivered when
the writer commits. A worker's sync thread waits on this listener between polls, so it applies
a change within milliseconds instead of at its next poll. The poll stays the guarantee: if the
listening connection cannot be opened or breaks, waiting falls back to a plain sleep of the poll
interval, and nothing is lost because the poll reads the log, not the notifications. The sync
thread calls `reopen` now and then while it is polling only (after a database restart).

A key revocation sends `NOTIFY hashstop_changes, 'keys'` (`KEYS_NOTICE`): `wait` returns the
payloads it received, so the sync thread can drop the worker's cached keys at once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from hashstop.storage.changelog import KEYS_NOTICE, NOTIFY_CHANNEL
from hashstop.storage.database import Database

log = logging.getLogger(__name__)

__all__ = ["KEYS_NOTICE", "ChangeNotifications"]


class ChangeNotifications:
    def __init__(self, database: Database) -> None:
        self._conn: Any = None
        self._database = database
        if database.is_postgresql:
            self._open(database)

    def reopen(self) -> None:
        """Listen again if the listener was lost (PostgreSQL only)."""
        if self._conn is None and self._database.is_postgresql:
            self._open(self._database)

    def _open(self, database: Database) -> None:
        import psycopg

        url = database.engine.url.set(drivername="postgresql")
        try:
            self._conn = psycopg.connect(
                url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
            )
            self._conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except psycopg.Error as exc:
            log.warning("cannot listen for changes (%s); polling only", type(exc).__name__)
            self.close()

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def wait(self, timeout: float, stop: threading.Event) -> set[str]:
        """Return when a change is notified, `timeout` seconds have passed, or `stop` is set.

        The payloads received: change log sequence numbers, or `KEYS_NOTICE`.
        """
        if self._conn is None:
            stop.wait(timeout)
            return set()
        import psycopg

        payloads: set[str] = set()
        try:
            for notice in self._conn.notifies(timeout=timeout, stop_after=1):
                payloads.add(notice.payload)
        except psycopg.Error as exc:
            log.warning("lost the change listener (%s); polling only", type(exc).__name__)
            self.close()
            stop.wait(timeout)
        return payloads

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001, S110 - closing a broken connection  # nosec B110
                pass
            self._conn = None
