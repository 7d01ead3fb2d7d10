"""Fuzzing the /review pages: every POST form field and GET parameter, signed in, CSRF valid.

The JSON API's fuzzer (`test_fuzz_api.py`) draws from the OpenAPI document, which does not list
the /review pages. This one reads every /review route from the app itself (its path, query and
form parameters, those of its dependencies included) and, for each, lets hypothesis fill every
parameter with text: real ids and well-formed values mixed with empty, huge, negative, NUL,
non-ASCII and path-like strings. Each request carries an admin's live /review session and the
session's valid CSRF token (sign-in and sign-out get a fresh session each time), so it reaches
the handler instead of stopping at the sign-in redirect or the CSRF check. No answer may be a
5xx. A route missing from the app's list of /review routes cannot be skipped: the routes are
enumerated, and `test_every_review_route_is_fuzzed` counts them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hashstop.app import create_app
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, running_client, wait_ready

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
ODD = [
    "",
    "0",
    "-1",
    "1",
    "2",
    "99999999999999999999",
    "\x00",
    "é" * 40,
    "../../etc",
    "x" * 3000,
    "pending",
    "all",
    "pdq",
    "sha256",
    "2026-12-04",
    "m_",
    "a" * 64,
    " ",
    "%00",
    "<b>",
]


class Review:
    def __init__(self, tmp: Any) -> None:
        url = f"sqlite:///{tmp / 'hashstop.db'}"
        upgrade(url)
        self.settings = make_settings(url, key_cache_seconds=0)
        database = Database(url, pool_size=1)
        with database.transaction() as session:
            service = KeyService(session, Keyring(self.settings.secret_key_bytes))
            self.admin = service.create(name="admin", role="admin", platform=None).token
            self.platform = service.create(name="p", role="platform", platform="p").token
        database.dispose()
        self.app = create_app(self.settings)
        self.client = running_client(self.app).__enter__()  # lifespan on; left at teardown
        wait_ready(self.client)
        value = sample_hashes.pdq(1)
        self.client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]})
        query = {"items": [{"ref": "r", "hashes": [{"algorithm": "pdq", "value": value}]}]}
        result = self.client.post("/v1/match", json=query, headers=bearer(self.platform)).json()
        self.match_id = result["results"][0]["match_id"]
        self.hash_id = str(result["results"][0]["matches"][0]["hash_id"])
        self.sign_in()

    def sign_in(self) -> None:
        self.client.cookies.clear()
        form = self.client.get("/review/sign-in")
        token = CSRF.search(form.text)
        assert token is not None
        signed = self.client.post(
            "/review/sign-in",
            data={"key": self.admin, "csrf": token.group(1)},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        page = self.client.get("/review/queue")
        found = CSRF.search(page.text)
        assert found is not None
        self.csrf = found.group(1)


def review_routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every /review route, walking included routers."""
    out: list[tuple[str, str, APIRoute]] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                full = prefix + route.path
                if full.startswith("/review"):
                    out.extend((m, full, route) for m in sorted(route.methods or ()) if m != "HEAD")
            elif hasattr(route, "original_router"):
                context = getattr(route, "include_context", None)
                walk(route.original_router.routes, prefix + getattr(context, "prefix", ""))

    walk(app.routes, "")
    return out


def parameters(route: APIRoute) -> tuple[list[str], list[str], list[str]]:
    path: list[str] = []
    query: list[str] = []
    form: list[str] = []

    def walk(dependant: Any) -> None:
        path.extend(p.alias for p in dependant.path_params if p.alias not in path)
        query.extend(p.alias for p in dependant.query_params if p.alias not in query)
        form.extend(p.alias for p in dependant.body_params if p.alias not in form)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return path, query, form


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    world = Review(tmp_path_factory.mktemp("review-fuzz"))
    yield world
    world.client.__exit__(None, None, None)


def test_every_review_route_is_fuzzed(review: Review) -> None:
    routes = review_routes(review.app)
    posts = [r for m, _, r in routes if m == "POST"]
    assert len(routes) == 15 and len(posts) == 7, [(m, p) for m, p, _ in routes]
    fields = sum(len(parameters(r)[1]) + len(parameters(r)[2]) for _, _, r in routes)
    assert fields >= 30, fields


def _value(review: Review, name: str) -> st.SearchStrategy[str]:
    real = {"match_id": review.match_id, "hash_id": review.hash_id, "entry_id": "1"}
    choices = [st.sampled_from(ODD), st.text(max_size=40)]
    if name in real:
        choices.insert(0, st.just(real[name]))
    return st.one_of(*choices)


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_review_form_or_parameter_gives_a_5xx(review: Review, data: st.DataObject) -> None:
    for method, full, route in review_routes(review.app):
        path_names, query_names, form_names = parameters(route)
        path = full
        for name in path_names:
            value = data.draw(_value(review, name), label=name)
            path = path.replace("{" + name + "}", quote(value, safe="") or "1")
        params = {n: data.draw(_value(review, n), label=n) for n in query_names}
        params = {k: v for k, v in params.items() if data.draw(st.booleans(), label=f"send {k}")}
        if method == "GET":
            got = review.client.get(path, params=params, follow_redirects=False)
        else:
            form = {n: data.draw(_value(review, n), label=n) for n in form_names if n != "csrf"}
            if full == "/review/sign-in":
                page = review.client.get("/review/sign-in")
                token = CSRF.search(page.text)
                form["csrf"] = token.group(1) if token else ""
            else:
                form["csrf"] = review.csrf
            got = review.client.post(path, params=params, data=form, follow_redirects=False)
        assert got.status_code < 500, (method, path, params, got.status_code, got.text[:300])
        if full in ("/review/sign-out", "/review/sign-in"):
            review.sign_in()  # a fresh session for the next route
