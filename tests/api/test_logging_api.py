"""Logs carry ids, routes and counts: never secrets, keys, Authorization or hash values."""

from __future__ import annotations

import logging

from tests import sample_hashes
from tests.service_fixtures import bearer


def test_a_whole_flow_logs_no_secret_and_no_hash_value(client, make_key, caplog):
    caplog.set_level(logging.DEBUG)
    token = make_key("platform")
    opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]}).json()
    case = f"/v1/cases/{opened['case_id']}"
    client.post(
        f"{case}/hashes",
        json={"hashes": [{"algorithm": "md5", "value": sample_hashes.md5(1)}]},
        headers=bearer(opened["secret"]),
    )
    query = {
        "items": [{"ref": "r", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(1)}]}]
    }
    match_id = client.post("/v1/match", json=query, headers=bearer(token)).json()["results"][0][
        "match_id"
    ]
    client.post(
        f"/v1/matches/{match_id}/feedback", json={"verdict": "confirmed"}, headers=bearer(token)
    )
    client.get("/v1/hashlist", headers=bearer(token))
    client.get(case, headers=bearer("hsc_WRONG-WRONG-WRONG-WRONG-WRONG"))
    client.delete(case, headers=bearer(opened["secret"]))

    text = caplog.text
    assert "/v1/match" in text and "/v1/cases/{case_id}" in text  # the request log is there
    for secret in (
        opened["secret"],
        token,
        "WRONG-WRONG",
        sample_hashes.pdq(1),
        sample_hashes.md5(1),
    ):
        assert secret not in text
    assert "authorization" not in text.lower() and "bearer" not in text.lower()
