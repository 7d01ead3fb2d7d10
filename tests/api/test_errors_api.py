"""Every error is problem+json a person can act on; bad input never reaches a 500."""

from __future__ import annotations

import json

import pytest

from hashstop.app import create_app
from tests import sample_hashes
from tests.service_fixtures import TEST_SECRET_KEY, bearer, make_settings, running_client


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and len(body["detail"]) > 10
    return body


def test_framework_errors_are_problems(client):
    assert "/docs" in assert_problem(client.get("/v2/nothing"), 404)["detail"]
    body = assert_problem(client.put("/v1/cases"), 405)
    assert "POST" in body["detail"]
    bad_json = client.post(
        "/v1/cases", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in assert_problem(bad_json, 422)["detail"]
    wrong_type = client.post("/v1/cases", json={"hashes": "pdq"})
    assert "hashes" in assert_problem(wrong_type, 422)["detail"]


def test_the_body_size_limit_is_413(database_url):
    settings = make_settings(database_url, max_body_bytes=2048)
    with running_client(create_app(settings)) as client:
        big = {"hashes": [sample_hashes.pdq_entry(i) for i in range(40)]}
        declared = client.post("/v1/cases", json=big)
        assert "2048 bytes" in assert_problem(declared, 413)["detail"]

        def chunks():
            data = json.dumps(big).encode()
            for i in range(0, len(data), 500):
                yield data[i : i + 500]

        streamed = client.post(
            "/v1/cases", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(streamed, 413)


def test_hashes_per_case_request_are_limited(client):
    body = {"hashes": [sample_hashes.pdq_entry(i) for i in range(501)]}
    assert (
        "at most 500 hashes" in assert_problem(client.post("/v1/cases", json=body), 413)["detail"]
    )


def test_case_creation_is_rate_limited_per_address(database_url):
    settings = make_settings(database_url, case_creations_per_hour=2)
    with running_client(create_app(settings)) as client:
        body = {"hashes": [sample_hashes.pdq_entry(1)]}
        assert client.post("/v1/cases", json=body).status_code == 201
        assert client.post("/v1/cases", json=body).status_code == 201
        limited = assert_problem(client.post("/v1/cases", json=body), 429)
        assert limited["retry_after"] > 60
        assert int(client.post("/v1/cases", json=body).headers["retry-after"]) > 60


GARBAGE: list[object] = [
    None,
    [],
    "x",
    1e308,
    {"hashes": None},
    {"hashes": [None]},
    {"hashes": [{"algorithm": None, "value": 3}]},
    {"hashes": [{"algorithm": "pdq", "value": "ab" * 32, "quality": "high"}]},
    {"hashes": [{"algorithm": "pdq", "value": "ab" * 32, "quality": 10**30}]},
    {"hashes": [{"algorithm": "pdq" * 100, "value": "ab"}]},
    {"hashes": [{"algorithm": "pdq", "value": "\u0000" * 64, "quality": 90}]},
    {"items": [{"ref": "r" * 300, "hashes": [{"algorithm": "md5", "value": "0" * 32}]}]},
    {
        "items": [
            {
                "ref": "r",
                "hashes": [{"algorithm": "md5", "value": "0" * 32}],
                "max_distance": 10**40,
            }
        ]
    },
    {"verdict": ["confirmed"]},
    {"items": [{"ref": "r\u0000", "hashes": [{"algorithm": "md5", "value": "1" * 32}]}]},
]


@pytest.mark.parametrize("payload", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_gets_a_500(client, make_key, payload):
    opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(5)]}).json()
    platform = bearer(make_key("platform"))
    victim = bearer(opened["secret"])
    targets = [
        ("POST", "/v1/cases", {}),
        ("POST", f"/v1/cases/{opened['case_id']}/hashes", victim),
        ("POST", "/v1/match", platform),
        ("POST", "/v1/matches/m_x/feedback", platform),
    ]
    for method, path, headers in targets:
        response = client.request(method, path, json=payload, headers=headers)
        assert response.status_code < 500, (path, response.status_code, response.text)
        if response.status_code == 200:  # adding hashes: nothing stored, every reason given
            assert response.json()["accepted"] == 0 and response.json()["rejected"]
        else:
            assert response.status_code >= 400
            assert response.headers["content-type"] == "application/problem+json"
    for query in ("after=1e9", "limit=-5", "after=99999999999999999999999"):
        response = client.get(f"/v1/hashlist?{query}", headers=platform)
        assert 400 <= response.status_code < 500 or response.status_code == 200
    weird_id = client.get("/v1/cases/" + "%00" * 3, headers=victim)
    assert weird_id.status_code == 404


def test_an_unreachable_database_is_503(tmp_path):
    from hashstop.config import Settings

    settings = Settings(
        database_url="postgresql+psycopg://postgres@127.0.0.1:5432/hashstop_no_such_database",
        secret_key=TEST_SECRET_KEY,
    )
    with running_client(create_app(settings)) as client:
        body = assert_problem(
            client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]}), 503
        )
        assert "database" in body["detail"] and client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


def test_an_unexpected_error_is_a_logged_500_problem(settings, caplog):
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/broken", broken)  # a route that fails like a bug would
    with running_client(app) as client:
        body = assert_problem(client.get("/v1/broken"), 500)
    assert "unexpected" in body["detail"]
    assert "RuntimeError" in caplog.text


def test_the_openapi_document_declares_problem_json_errors(client):
    """Found by the schema fuzzer: errors were documented as FastAPI's 422 application/json."""
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(schema)
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            content = responses["default"]["content"]
            assert list(content) == ["application/problem+json"], (method, path)
    invalid = client.post("/v1/cases", json={"hashes": [{"algorithm": "", "value": ""}]})
    assert invalid.headers["content-type"] == "application/problem+json"
    assert set(invalid.json()) >= set(problem["required"])


def test_a_value_the_database_refuses_is_422_not_503(client, make_key, database_url):
    """Found by the schema fuzzer on PostgreSQL: a NUL in a text answered 503 'unavailable'."""
    admin = bearer(make_key("admin"))
    entry = {"algorithm": "sha256", "value": sample_hashes.sha256(1), "reason": "news\x00photo"}
    response = client.post("/v1/admin/allowlist", json=entry, headers=admin)
    # SQLite stores the NUL; PostgreSQL refuses it, and that is the request's fault.
    if database_url.startswith("postgresql"):
        assert "NUL" in assert_problem(response, 422)["detail"]
    else:
        assert response.status_code == 201, response.text
    opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]}).json()
    query = {
        "items": [
            {"ref": "up\x00load", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(1)}]}
        ]
    }
    platform = bearer(make_key("platform"))
    matched = client.post("/v1/match", json=query, headers=platform)
    assert matched.status_code in (200, 422), matched.text
    assert (
        client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"])).status_code
        == 200
    )
