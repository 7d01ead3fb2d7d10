"""Two app instances (each with its own index and sync thread) on one database.

A withdrawal through one stops matching through the other within 2 seconds, and the other's
index lets go of the hashes within 2 seconds too (polled, no fixed sleeps).
"""

from __future__ import annotations

import time

from hashstop.app import create_app
from tests import sample_hashes
from tests.service_fixtures import bearer, running_client, wait_ready

DEADLINE = 2.0


def poll_until(predicate, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic() - (deadline - timeout)
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout} s")


def test_withdrawal_through_one_worker_stops_matching_in_the_other(settings, make_key):
    platform = bearer(make_key("platform"))
    value = sample_hashes.pdq(77)
    query = {"items": [{"ref": "x", "hashes": [{"algorithm": "pdq", "value": value}]}]}
    app_one, app_two = create_app(settings), create_app(settings)
    with running_client(app_one) as one, running_client(app_two) as two:
        wait_ready(one)
        wait_ready(two)
        index_two = app_two.state.runtime.index
        opened = one.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(77)]}).json()

        def two_matches():
            return two.post("/v1/match", json=query, headers=platform).json()["results"][0][
                "matched"
            ]

        poll_until(two_matches)  # an addition reaches the other worker too
        assert index_two.sizes()["pdq"] == 1

        withdrawn = one.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
        assert withdrawn.status_code == 200
        assert app_one.state.runtime.index.sizes()["pdq"] == 0  # before the response
        poll_until(lambda: not two_matches())
        poll_until(lambda: index_two.sizes()["pdq"] == 0)
