"""Issue 12, attack 4: the client address behind a reverse proxy cannot be chosen by the client.

The attack: compose trusted `*`, nginx appended the real address to the client's own
X-Forwarded-For, and uvicorn took the leftmost entry, which the client wrote; 45 of 45 case
creations passed a limit of 30. These tests run uvicorn's real proxy-header handling (inside the
app, `hashstop.api.proxy`) with requests shaped exactly as nginx's `$proxy_add_x_forwarded_for`
sends them: "<whatever the client sent>, <the address nginx saw>".
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from hashstop.app import create_app
from tests import sample_hashes
from tests.service_fixtures import make_settings, wait_ready

PROXY = ("172.31.250.1", 41000)  # compose's gateway: the host's nginx as the container sees it
REAL_CLIENT = "198.51.100.7"
LIMIT = 30


def _creations(database_url: str, trusted: str, forwarded: list[str]) -> list[int]:
    settings = make_settings(
        database_url, forwarded_allow_ips=trusted, case_creations_per_hour=LIMIT
    )
    statuses = []
    with TestClient(create_app(settings), client=PROXY, raise_server_exceptions=False) as client:
        wait_ready(client)
        for i, header in enumerate(forwarded):
            body = {"hashes": [sample_hashes.pdq_entry(1000 + i)]}
            r = client.post("/v1/cases", json=body, headers={"X-Forwarded-For": header})
            statuses.append(r.status_code)
    return statuses


def test_a_client_cannot_spoof_its_address_through_nginx(database_url):
    spoofed = [f"203.0.113.{i}, {REAL_CLIENT}" for i in range(45)]
    statuses = _creations(database_url, "172.31.250.1", spoofed)
    assert statuses.count(201) == LIMIT  # all 45 were one client: 30 pass, 15 are refused
    assert statuses[LIMIT:] == [429] * 15


def test_trusting_everyone_was_the_hole(database_url):
    """The same requests with the old compose setting: every spoofed creation passes, which is
    what the test above would see if the fix were undone."""
    spoofed = [f"203.0.113.{i}, {REAL_CLIENT}" for i in range(45)]
    assert _creations(database_url, "*", spoofed).count(201) == 45


def test_a_non_ip_forwarded_value_is_ignored(database_url):
    """A trusted proxy passing `unknown` or a name: the request counts against the proxy's own
    address, so a fresh made-up value each time does not buy a fresh budget."""
    made_up = [f"client-{i}.example" if i % 2 else "unknown" for i in range(40)]
    assert _creations(database_url, "172.31.250.0/24", made_up).count(201) == LIMIT


def test_the_real_clients_keep_their_own_budgets(database_url):
    """Two clients behind the same proxy do not share a budget."""
    forwarded = [f"10.9.9.9, 198.51.100.{1 + i % 2}" for i in range(2 * LIMIT)]
    assert _creations(database_url, "172.31.250.1", forwarded).count(201) == 2 * LIMIT
