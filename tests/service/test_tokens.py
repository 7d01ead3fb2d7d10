import math
import re

from hashstop.service.tokens import (
    Keyring,
    new_api_key,
    new_case_id,
    new_case_secret,
    normalise_case_secret,
)


def test_case_secret_is_long_random_and_easy_to_copy():
    secret = new_case_secret()
    assert re.fullmatch(r"hsc_([0-9A-HJKMNP-TV-Z]{5}-){4}[0-9A-HJKMNP-TV-Z]{5}", secret)
    assert 25 * math.log2(32) >= 100
    assert len({new_case_secret() for _ in range(200)}) == 200


def test_case_secret_forgives_how_people_type():
    secret = new_case_secret()
    canonical = normalise_case_secret(secret)
    typed = secret.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_case_secret(typed) == canonical
    assert normalise_case_secret("hsc_short") is None
    assert normalise_case_secret(new_api_key()) is None


def test_keyring_hashes_depend_on_the_key_and_the_purpose():
    secret = new_case_secret()
    a, b = Keyring(b"a" * 32), Keyring(b"b" * 32)
    assert a.case_secret_hash(secret) != b.case_secret_hash(secret)
    assert a.case_secret_hash(secret) == a.case_secret_hash(secret.lower())
    token = new_api_key()
    assert token.startswith("hsk_") and len(token) > 30
    assert a.api_key_hash(token) != a.digest("case", token)
    assert Keyring.same(a.api_key_hash(token), a.api_key_hash(token))


def test_case_ids_are_random():
    assert len({new_case_id() for _ in range(500)}) == 500
