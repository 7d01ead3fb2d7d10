"""Issue 12's smaller points: no response with a secret or case data may be cached, and a match
ref cannot carry characters that make it display as something else on the review pages."""

from __future__ import annotations

import pytest

from tests import sample_hashes
from tests.service_fixtures import OPERATOR, bearer


def test_responses_with_secrets_or_case_data_are_no_store(client, make_key):
    opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]})
    assert opened.status_code == 201 and opened.json()["secret"].startswith("hsc_")
    secret = opened.json()["secret"]
    case = f"/v1/cases/{opened.json()['case_id']}"
    platform = bearer(make_key("platform"))
    answers = [
        opened,
        client.get(case, headers=bearer(secret)),
        client.post(
            f"{case}/hashes", json={"hashes": [sample_hashes.pdq_entry(2)]}, headers=bearer(secret)
        ),
        client.get(case, headers=bearer("hsc_" + "x" * 40)),  # a refusal too
        client.get("/v1/hashlist", headers=platform),
        client.post(
            "/v1/match",
            json={
                "items": [
                    {"ref": "u1", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(1)}]}
                ]
            },
            headers=platform,
        ),
        client.get("/readyz", headers=OPERATOR),
        client.get("/case"),
        client.get("/submit"),
        client.delete(case, headers=bearer(secret)),
    ]
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", answer.request.url
    # the packaged static files may be cached
    assert client.get("/static/css/site.css").headers.get("cache-control") != "no-store"


@pytest.mark.parametrize(
    "ref",
    ["upload\u202egnp.exe", "a\u2066b\u2069", "\u200fname", "x\u061cy", "del\x7f", "c1\x85"],
)
def test_a_ref_with_bidi_or_hidden_controls_is_refused(client, make_key, ref):
    body = {
        "items": [{"ref": ref, "hashes": [{"algorithm": "md5", "value": sample_hashes.md5(1)}]}]
    }
    r = client.post("/v1/match", json=body, headers=bearer(make_key("platform")))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "bidirectional" in r.text


def test_a_plain_unicode_ref_is_still_fine(client, make_key):
    body = {
        "items": [
            {
                "ref": "фото-写真-صورة",
                "hashes": [{"algorithm": "md5", "value": sample_hashes.md5(1)}],
            }
        ]
    }
    r = client.post("/v1/match", json=body, headers=bearer(make_key("platform")))
    assert r.status_code == 200 and r.json()["results"][0]["ref"] == "фото-写真-صورة"
