import pytest

from hashstop.service.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring, new_case_secret
from hashstop.storage.audit import AuditLog
from hashstop.storage.models import Role


def service(session, settings):
    return KeyService(session, Keyring(settings.secret_key_bytes))


def test_create_authenticate_revoke(database, settings):
    with database.transaction() as session:
        created = service(session, settings).create(name="acme", role="platform", platform="acme")
        mod = service(session, settings).create(name="mod", role="moderator", platform="acme")
    assert mod.key.scope_platform == "acme" and mod.key.platform is None
    with database.transaction(write=False) as session:
        key = service(session, settings).authenticate(created.token, (Role.PLATFORM,))
        assert key.name == "acme" and key.platform == "acme"
        with pytest.raises(Forbidden, match="needs a platform key"):
            service(session, settings).authenticate(mod.token, (Role.PLATFORM,))
        with pytest.raises(Forbidden, match="case secret cannot be used"):
            service(session, settings).authenticate(new_case_secret(), (Role.PLATFORM,))
        with pytest.raises(Unauthenticated):
            service(session, settings).authenticate("hsk_nonsense", (Role.PLATFORM,))
    with database.transaction() as session:
        service(session, settings).revoke("acme")
    with database.transaction(write=False) as session:
        with pytest.raises(Unauthenticated, match="revoked"):
            service(session, settings).authenticate(created.token, (Role.PLATFORM,))
        actions = [(e.action, e.target) for e in AuditLog(session).latest()]
        assert ("key.revoked", "key:acme") in actions and ("key.created", "key:acme") in actions
        assert all(created.token not in (e.details or "") for e in AuditLog(session).latest())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "p", "role": "platform"}, InvalidInput, "needs --platform"),
        ({"name": "a", "role": "admin", "platform": "x"}, InvalidInput, "not tied"),
        ({"name": "a b", "role": "admin"}, InvalidInput, "key name"),
        ({"name": "a", "role": "root"}, InvalidInput, "unknown role"),
    ],
)
def test_create_refuses_bad_requests(database, settings, kwargs, error, message):
    with database.transaction() as session, pytest.raises(error, match=message):
        service(session, settings).create(**kwargs)


def test_names_are_unique_and_revoking_unknown_is_not_found(database, settings):
    with database.transaction() as session:
        service(session, settings).create(name="dup", role="admin")
    with database.transaction() as session, pytest.raises(Conflict):
        service(session, settings).create(name="dup", role="admin")
    with database.transaction() as session, pytest.raises(NotFound):
        service(session, settings).revoke("nobody")
