"""Who may call what: every endpoint and page against every kind of caller, as one table.

Each row is a route (method and path as the app declares it); each column a caller:

    anon     no credential at all
    own      the case secret of the case in the path (hsc_)
    other    the case secret of another, live case
    platA    a platform key of platform A, the platform that made the match in the path
    platB    a platform key of platform B
    modA     a moderator key scoped to platform A
    mod      a global moderator key
    admin    an admin key
    revoked  an admin key (and its /review session) revoked after sign-in
    expired  a global moderator's /review session past its expiry (cookie only)

Callers that have a /review session (modA, mod, admin, revoked, expired) send its cookie, and
every caller with a token sends it as a bearer token, to every route: a bearer token never opens
a page and a cookie never opens the API. Every cell of a route that changes something gets fresh
objects (a case opened, a match made by platform A, a hash suspended, an allowlist entry) and
the sign-out cells fresh sessions, so no cell depends on another; reads share one set.

303 on /review is a redirect: to the sign-in page for a caller without a live session (checked),
back to a page after a successful sign-in or form post. The sign-in form is posted with each
caller's own token as the key. Anyone may open a case (no account; a bearer token sent along is
ignored). A scoped moderator gets 403 on suspend and restore (and on the pages that do them): a
hash suspension stops matching on every platform, so only a global moderator or an admin may do
it; for the same reason it cannot list suspended hashes or look at one hash (its state and
feedback span every platform). A platform sees only its own match records (404 for another's,
which does not tell it exists). Allowlist management and the audit log are for admins only.
The StopNCII-shaped feed takes its key in `x-functions-key` only, so a bearer token alone is 401
there (tests/interop/test_stopncii_feed.py covers the key in its header).

The table must cover every route of the app: a new route fails `test_every_route_is_in_the_table`
until a row is added for it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from starlette.routing import Mount, Route

from hashstop.app import create_app
from hashstop.service.keys import KeyService
from hashstop.service.moderator_sessions import csrf_token
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade
from hashstop.storage.flags import FlagRepository
from hashstop.storage.models import FlagKind, ReviewSession, utcnow
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, running_client, wait_ready

CALLERS = ("anon", "own", "other", "platA", "platB", "modA", "mod", "admin", "revoked", "expired")

# fmt: off
MATRIX = """
route                                      anon own other platA platB modA mod admin revoked expired
POST   /v1/cases                           201  201 201   201   201   201  201 201   201     201
GET    /v1/cases/{case_id}                 401  200 404   403   403   403  403 403   403     401
POST   /v1/cases/{case_id}/hashes          401  200 404   403   403   403  403 403   403     401
DELETE /v1/cases/{case_id}                 401  200 404   403   403   403  403 403   403     401
POST   /v1/match                           401  403 403   200   200   403  403 403   401     401
GET    /v1/hashlist                        401  403 403   200   200   403  403 403   401     401
GET    /v1/matches/{match_id}              401  403 403   200   404   403  403 403   401     401
POST   /v1/matches/{match_id}/feedback     401  403 403   201   404   403  403 403   401     401
GET    /stopncii/v1/FetchHashes            401  401 401   401   401   401  401 401   401     401
GET    /healthz                            200  200 200   200   200   200  200 200   200     200
GET    /readyz                             200  200 200   200   200   200  200 200   200     200
GET    /metrics                            401  401 401   403   403   403  403 200   401     401
GET    /v1/review/queue                    401  403 403   403   403   200  200 200   401     401
GET    /v1/review/matches/{match_id}       401  403 403   403   403   200  200 200   401     401
POST   /v1/review/matches/{match_id}       401  403 403   403   403   200  200 200   401     401
GET    /v1/review/hashes                   401  403 403   403   403   403  200 200   401     401
GET    /v1/review/hashes/{hash_id}         401  403 403   403   403   403  200 200   401     401
POST   /v1/review/hashes/{hash_id}/suspend 401  403 403   403   403   403  200 200   401     401
POST   /v1/review/hashes/{hash_id}/restore 401  403 403   403   403   403  200 200   401     401
GET    /v1/review/activity                 401  403 403   403   403   200  200 200   401     401
GET    /v1/review/photos/{photo}           401  403 403   403   403   403  200 200   401     401
POST   /v1/review/photos/{photo}/suspend   401  403 403   403   403   403  200 200   401     401
POST   /v1/review/photos/{photo}/restore   401  403 403   403   403   403  200 200   401     401
GET    /v1/review/flags                    401  403 403   403   403   403  200 200   401     401
POST   /v1/review/flags/{flag_id}/clear    401  403 403   403   403   403  204 204   401     401
GET    /v1/admin/keys                      401  403 403   403   403   403  403 200   401     401
POST   /v1/admin/keys                      401  403 403   403   403   403  403 201   401     401
DELETE /v1/admin/keys/{name}               401  403 403   403   403   403  403 200   401     401
GET    /v1/admin/allowlist                 401  403 403   403   403   403  403 200   401     401
POST   /v1/admin/allowlist/pictures        401  403 403   403   403   403  403 201   401     401
POST   /v1/admin/allowlist                 401  403 403   403   403   403  403 201   401     401
DELETE /v1/admin/allowlist/{entry_id}      401  403 403   403   403   403  403 204   401     401
GET    /v1/audit                           401  403 403   403   403   403  403 200   401     401
GET    /openapi.json                       200  200 200   200   200   200  200 200   200     200
GET    /docs                               200  200 200   200   200   200  200 200   200     200
GET    /docs/assets                        200  200 200   200   200   200  200 200   200     200
GET    /static                             200  200 200   200   200   200  200 200   200     200
GET    /static/js/variants.json            200  200 200   200   200   200  200 200   200     200
GET    /static/js/facts.json               200  200 200   200   200   200  200 200   200     200
GET    /                                   200  200 200   200   200   200  200 200   200     200
GET    /submit                             200  200 200   200   200   200  200 200   200     200
GET    /case                               200  200 200   200   200   200  200 200   200     200
GET    /review                             303  303 303   303   303   303  303 303   303     303
GET    /review/sign-in                     200  200 200   200   200   200  200 200   200     200
POST   /review/sign-in                     401  403 403   403   403   303  303 303   401     401
POST   /review/sign-out                    303  303 303   303   303   303  303 303   303     303
GET    /review/queue                       303  303 303   303   303   200  200 200   303     303
GET    /review/matches/{match_id}          303  303 303   303   303   200  200 200   303     303
POST   /review/matches/{match_id}/decide   303  303 303   303   303   303  303 303   303     303
GET    /review/activity                    303  303 303   303   303   200  200 200   303     303
GET    /review/hashes                      303  303 303   303   303   403  200 200   303     303
GET    /review/hashes/{hash_id}            303  303 303   303   303   403  200 200   303     303
POST   /review/hashes/{hash_id}/suspend    303  303 303   303   303   403  303 303   303     303
POST   /review/hashes/{hash_id}/restore    303  303 303   303   303   403  303 303   303     303
GET    /review/flags                       303  303 303   303   303   403  200 200   303     303
POST   /review/flags/{flag_id}/clear       303  303 303   303   303   403  303 303   303     303
POST   /review/photos/{photo}/suspend      303  303 303   303   303   403  303 303   303     303
POST   /review/photos/{photo}/restore      303  303 303   303   303   403  303 303   303     303
GET    /review/keys                        303  303 303   303   303   403  403 200   303     303
POST   /review/keys                        303  303 303   303   303   403  403 201   303     303
POST   /review/keys/{name}/revoke          303  303 303   303   303   403  403 303   303     303
GET    /review/allowlist                   303  303 303   303   303   403  403 200   303     303
POST   /review/allowlist/pictures          303  303 303   303   303   403  403 303   303     303
POST   /review/allowlist                   303  303 303   303   303   403  403 303   303     303
POST   /review/allowlist/{entry_id}/remove 303  303 303   303   303   403  403 303   303     303
"""
# fmt: on


def parse(table: str) -> dict[tuple[str, str], dict[str, int]]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[1:]) == CALLERS, header
    out: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        assert len(row) == 2 + len(CALLERS), row
        out[(row[0], row[1])] = dict(zip(CALLERS, map(int, row[2:]), strict=True))
    return out


EXPECTED = parse(MATRIX)
SESSION_CALLERS = ("modA", "mod", "admin")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def declared_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route of `app`, walking included routers; mounts as GET."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                found.add(("GET", prefix + route.path))
            elif isinstance(route, Route) or hasattr(route, "methods"):
                for method in route.methods or ():
                    if method != "HEAD":
                        found.add((method, prefix + route.path))
            else:  # an included router
                context = getattr(route, "include_context", None)
                walk(route.original_router.routes, prefix + getattr(context, "prefix", ""))

    walk(app.routes, "")
    return found


def test_every_route_is_in_the_table():
    app = create_app(make_settings("sqlite://"))
    routes = declared_routes(app)
    assert len(routes) > 40
    assert routes - set(EXPECTED) == set(), "routes the authorization matrix does not cover"
    assert set(EXPECTED) - routes == set(), "rows of the matrix for routes that do not exist"


@dataclass
class Party:
    """One caller: a bearer token and/or a /review session cookie."""

    token: str | None = None
    session: str | None = None


class World:
    def __init__(self, client: Any, settings: Any) -> None:
        self.client = client
        self.keyring = Keyring(settings.secret_key_bytes)
        self.database = Database(settings.database_url, pool_size=1)
        self.keys: dict[str, str] = {}
        with self.database.transaction() as session:
            service = KeyService(session, self.keyring)
            for caller, role, platform in (
                ("platA", "platform", "platform-a"),
                ("platB", "platform", "platform-b"),
                ("modA", "moderator", "platform-a"),
                ("mod", "moderator", None),
                ("admin", "admin", None),
                ("revoked", "admin", None),
                ("expired", "moderator", None),
            ):
                self.keys[caller] = service.create(name=caller, role=role, platform=platform).token
        self.revoked_session = self.session_of(self.keys["revoked"])
        self.expired_session = self.session_of(self.keys["expired"])
        with self.database.transaction() as session:
            KeyService(session, self.keyring).revoke("revoked")
            session.execute(
                update(ReviewSession)
                .where(
                    ReviewSession.token_hash
                    == self.keyring.digest("review-session", self.expired_session)
                )
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        self.other_case = self.open_case()
        self.admin = bearer(self.keys["admin"])
        self.sessions = {caller: self.session_of(self.keys[caller]) for caller in SESSION_CALLERS}
        self.shared = self.fresh()

    def close(self) -> None:
        self.database.dispose()

    def sign_in(self, key: str) -> Any:
        """Post the sign-in form with `key`; the response (its cookie is the session)."""
        self.client.cookies.clear()
        form = self.client.get("/review/sign-in")
        csrf = CSRF.search(form.text)
        assert csrf is not None
        response = self.client.post(
            "/review/sign-in",
            data={"key": key, "csrf": csrf.group(1), "next": ""},
            follow_redirects=False,
        )
        self.client.cookies.clear()
        return response

    def session_of(self, key: str) -> str:
        response = self.sign_in(key)
        assert response.status_code == 303, response.text
        cookie = re.search(r"hashstop_review=([^;]+)", response.headers["set-cookie"])
        assert cookie is not None
        return cookie.group(1)

    def open_case(self) -> dict[str, Any]:
        value = sample_hashes.pdq(secrets.randbelow(10**12))
        body = {"hashes": [{"algorithm": "pdq", "value": value, "quality": 100}]}
        opened = self.client.post("/v1/cases", json=body)
        assert opened.status_code == 201, opened.text
        return {**opened.json(), "value": value}

    def photo_of(self, match_id: int) -> str:
        """The service's id of the photo a match hit (a platform sees its own keyed name)."""
        view = self.client.get(f"/v1/review/matches/{match_id}", headers=self.admin)
        assert view.status_code == 200, view.text
        photo: str = view.json()["photos"][0]["photo"]
        return photo

    def fresh(self, path: str = "") -> dict[str, Any]:
        """Objects for one cell: a case, platform A's match on it, its hash; a suspended hash and
        an allowlist entry when `path` needs them (all of them when it is empty)."""
        case = self.open_case()
        result = self.match(case["value"])
        objects = {"case": case, "match_id": result["match_id"]}
        objects["hash_id"] = objects["suspended_id"] = result["matches"][0]["hash_id"]
        objects["photo"] = objects["suspended_photo"] = self.photo_of(result["match_id"])
        if not path or path.endswith("/restore"):
            other = self.match(self.open_case()["value"])
            found = other["matches"][0]
            hit = found["hash_id"]
            done = self.client.post(
                f"/v1/review/hashes/{hit}/suspend", json={"reason": "test"}, headers=self.admin
            )
            assert done.status_code == 200, done.text
            objects["suspended_id"] = hit
            objects["suspended_photo"] = self.photo_of(other["match_id"])
        objects["flag_id"] = 1
        if not path or "{flag_id}" in path:
            with self.database.transaction() as session:
                flag = FlagRepository(session).add(FlagKind.PLATFORM, "test", platform="p")
                objects["flag_id"] = flag.id
        objects["entry_id"] = 1
        objects["key_name"] = "none"
        if not path or "{name}" in path:
            key = self.client.post(
                "/v1/admin/keys",
                json={"name": f"k-{secrets.token_hex(6)}", "role": "moderator"},
                headers=self.admin,
            )
            assert key.status_code == 201, key.text
            objects["key_name"] = key.json()["name"]
        if not path or "{entry_id}" in path:
            entry = self.client.post(
                "/v1/admin/allowlist",
                json={"algorithm": "sha256", "value": secrets.token_hex(32), "reason": "benign"},
                headers=self.admin,
            )
            assert entry.status_code == 201, entry.text
            objects["entry_id"] = entry.json()["id"]
        return objects

    def match(self, value: str) -> dict[str, Any]:
        query = {"items": [{"ref": "up", "hashes": [{"algorithm": "pdq", "value": value}]}]}
        matched = self.client.post("/v1/match", json=query, headers=bearer(self.keys["platA"]))
        result: dict[str, Any] = matched.json()["results"][0]
        assert result["matched"], result
        return result

    def party(self, caller: str, objects: dict[str, Any], new_session: bool = False) -> Party:
        if caller == "anon":
            return Party()
        if caller == "own":
            return Party(token=objects["case"]["secret"])
        if caller == "other":
            return Party(token=self.other_case["secret"])
        if caller == "revoked":
            return Party(token=self.keys["revoked"], session=self.revoked_session)
        if caller == "expired":
            return Party(session=self.expired_session)
        session = None
        if caller in SESSION_CALLERS:
            session = self.session_of(self.keys[caller]) if new_session else self.sessions[caller]
        return Party(token=self.keys[caller], session=session)


def request_for(
    method: str, path: str, objects: dict[str, Any], party: Party, world: World
) -> dict[str, Any]:
    """The URL and a valid body of a request to (method, path) for one cell."""
    hash_id = objects["suspended_id"] if path.endswith("/restore") else objects["hash_id"]
    photo = objects["suspended_photo"] if path.endswith("/restore") else objects["photo"]
    url = (
        path.replace("{case_id}", objects["case"]["case_id"])
        .replace("{photo}", photo)
        .replace("{flag_id}", str(objects["flag_id"]))
        .replace("{match_id}", objects["match_id"])
        .replace("{hash_id}", str(hash_id))
        .replace("{entry_id}", str(objects["entry_id"]))
        .replace("{name}", objects["key_name"])
    )
    if method == "DELETE" and "{entry_id}" in path:
        url += "?reason=matrix"
    if path == "/docs/assets":
        url = "/docs/assets/swagger-ui.css"
    elif path == "/static":
        url = "/static/css/site.css"
    kwargs: dict[str, Any] = {}
    csrf = csrf_token(world.keyring, party.session) if party.session else "0" * 64
    if path.startswith("/review/") and method == "POST":
        form: dict[str, str] = {"csrf": csrf}
        if path.endswith("/decide"):
            form.update(decision="confirmed", note="matrix")
        elif path.endswith(("/suspend", "/restore")):
            form["reason"] = "matrix"
        elif path == "/review/allowlist":
            form.update(algorithm="sha256", value=secrets.token_hex(32), reason="benign")
        elif path == "/review/keys":
            form.update(name=f"k-{secrets.token_hex(6)}", role="moderator")
        elif path.endswith(("/remove", "/clear")):
            form["reason"] = "matrix"
        elif path == "/review/allowlist/pictures":
            picture = [{"algorithm": "sha256", "value": secrets.token_hex(32)}]
            form.update(hashes=json.dumps(picture), reason="benign")
        kwargs["data"] = form
    elif method in ("POST",):
        bodies: dict[str, Any] = {
            "/v1/cases": {"hashes": [sample_hashes.pdq_entry(secrets.randbelow(10**12))]},
            "/v1/cases/{case_id}/hashes": {
                "hashes": [{"algorithm": "md5", "value": secrets.token_hex(16)}]
            },
            "/v1/match": {
                "items": [
                    {
                        "ref": "r",
                        "hashes": [{"algorithm": "pdq", "value": objects["case"]["value"]}],
                    }
                ]
            },
            "/v1/matches/{match_id}/feedback": {"verdict": "confirmed"},
            "/v1/review/matches/{match_id}": {"decision": "confirmed"},
            "/v1/review/hashes/{hash_id}/suspend": {"reason": "matrix"},
            "/v1/review/hashes/{hash_id}/restore": {"reason": "matrix"},
            "/v1/review/photos/{photo}/suspend": {"reason": "matrix"},
            "/v1/review/photos/{photo}/restore": {"reason": "matrix"},
            "/v1/review/flags/{flag_id}/clear": {"reason": "matrix"},
            "/v1/admin/allowlist/pictures": {
                "hashes": [{"algorithm": "sha256", "value": secrets.token_hex(32)}],
                "reason": "benign",
            },
            "/v1/admin/keys": {"name": f"k-{secrets.token_hex(6)}", "role": "moderator"},
            "/v1/admin/allowlist": {
                "algorithm": "sha256",
                "value": secrets.token_hex(32),
                "reason": "benign",
            },
        }
        kwargs["json"] = bodies[path]
    return {"method": method, "url": url, **kwargs}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'hashstop.db'}"
    upgrade(url)
    # Revocation is seen at once (no per-worker key cache) so the revoked column is exact.
    settings = make_settings(url, key_cache_seconds=0)
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        w = World(client, settings)
        try:
            yield w
        finally:
            w.close()


def effect(world: World, method: str, path: str, objects: dict[str, Any]) -> bool | None:
    """Whether the change a mutating route makes is there (read back as an admin), or None for
    a route whose effect this does not read (case creation, hashes added, match feedback,
    allowlist additions, sign-in and sign-out)."""
    admin = world.admin
    if path.endswith("/suspend"):
        got = world.client.get(f"/v1/review/hashes/{objects['hash_id']}", headers=admin)
        return bool(got.json()["status"] == "suspended")
    if path.endswith("/restore"):
        got = world.client.get(f"/v1/review/hashes/{objects['suspended_id']}", headers=admin)
        return bool(got.json()["status"] != "suspended")
    if method == "POST" and "/matches/{match_id}" in path and "feedback" not in path:
        got = world.client.get(f"/v1/review/matches/{objects['match_id']}", headers=admin)
        return bool(got.json()["status"] != "pending")
    if method == "DELETE" and path == "/v1/cases/{case_id}":
        own = bearer(objects["case"]["secret"])
        got = world.client.get(f"/v1/cases/{objects['case']['case_id']}", headers=own)
        return bool(got.json()["status"] == "withdrawn")
    if "{entry_id}" in path:
        listed = world.client.get("/v1/admin/allowlist", headers=admin).text
        return f'"id":{objects["entry_id"]},' not in listed.replace(" ", "")
    return None


def acted(got: Any) -> bool:
    """Whether the answer says the change was made: a 2xx, or on /review a 303 back to a page
    for a caller with a live session (a 303 to the sign-in page says it was not)."""
    if got.status_code in (200, 201, 204):
        return True
    location = got.headers.get("location", "")
    return got.status_code == 303 and not location.startswith("/review/sign-in")


def test_the_matrix(world):
    """Every cell: the status the table says, and a redirect to sign-in only without a session;
    and for each mutating route whose effect is read back (`effect`), the change is there
    exactly when the answer says it was made, so a route that answers 403 after acting, or
    200 without acting, fails its cell."""
    wrong: list[str] = []
    effects = 0
    for (method, path), row in EXPECTED.items():
        for caller, expected in row.items():
            objects = world.shared if method == "GET" else world.fresh(path)
            party = world.party(caller, objects, new_session=path == "/review/sign-out")
            request = request_for(method, path, objects, party, world)
            headers = bearer(party.token) if party.token else {}
            if party.session:
                headers["Cookie"] = f"hashstop_review={party.session}"
            if method == "POST" and path == "/review/sign-in":
                key = party.token or ""
                got = world.sign_in(key)
            else:
                world.client.cookies.clear()
                got = world.client.request(**request, headers=headers, follow_redirects=False)
            if got.status_code != expected:
                wrong.append(
                    f"{method} {path} as {caller}: {got.status_code}, table says {expected}"
                )
            if method != "GET":
                happened = effect(world, method, path, objects)
                if happened is not None:
                    effects += 1
                    if happened != acted(got):
                        wrong.append(
                            f"{method} {path} as {caller}: answered {got.status_code}, "
                            f"but the change was {'made' if happened else 'not made'}"
                        )
            elif got.status_code == 303 and caller not in SESSION_CALLERS and path != "/review":
                location = got.headers["location"]
                if not location.startswith("/review/sign-in"):
                    wrong.append(f"{method} {path} as {caller}: redirected to {location}")
    cells = len(EXPECTED) * len(CALLERS)
    assert effects >= 9 * len(CALLERS), effects  # the effect is read for 9 routes
    assert not wrong, f"{len(wrong)} of {cells} cells differ:\n" + "\n".join(wrong)
