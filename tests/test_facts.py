"""facts.json is the one place the hash facts are written, and every reader agrees with it.

Each test reads a value the way its consumer does (the hash types, the index, the service's
rules, the victim's client, the served file) and compares it with facts.json itself, so that a
number written again somewhere, and then changed in one place only, fails here.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from hashstop.client.collection import HASHES_PER_REQUEST
from hashstop.config import Settings
from hashstop.hashing import ALGORITHMS
from hashstop.hashing.facts import FACTS, parse_facts
from hashstop.hashing.variant_spec import load_spec
from hashstop.service.index import ALGORITHM_BYTES, EXACT_ALGORITHMS, HAMMING_BITS
from hashstop.service.rules import MIN_PDQ_QUALITY

RAW = json.loads(resources.files("hashstop.hashing").joinpath("facts.json").read_text("utf-8"))


def test_the_hash_types_take_their_widths_from_the_facts():
    assert set(ALGORITHMS) == set(RAW["algorithms"])
    for name, cls in ALGORITHMS.items():
        assert cls.bits == RAW["algorithms"][name]["bits"]
        assert cls.perceptual == RAW["algorithms"][name]["perceptual"]


def test_the_index_takes_its_widths_from_the_facts():
    def kept_in(index):
        return {n: a["bits"] for n, a in RAW["algorithms"].items() if a["index"] == index}

    assert HAMMING_BITS == kept_in("hamming")
    assert set(EXACT_ALGORITHMS) == set(kept_in("exact"))
    assert ALGORITHM_BYTES == {
        n: b // 8 for n, b in (kept_in("hamming") | kept_in("exact")).items()
    }
    assert set(kept_in("local")) == {"local"}


def test_one_quality_floor_for_the_service_and_the_stored_variants():
    assert MIN_PDQ_QUALITY == RAW["min_pdq_quality"] == load_spec().min_quality
    assert "min_quality" not in json.loads(
        resources.files("hashstop.hashing").joinpath("variants.json").read_text("utf-8")
    )


def test_the_client_sends_no_more_hashes_per_request_than_the_service_takes():
    assert HASHES_PER_REQUEST == RAW["client"]["hashes_per_request"]
    default_limit = Settings.model_fields["max_hashes_per_case_request"].default
    assert HASHES_PER_REQUEST <= default_limit


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["algorithms"]["pdq"].update(bits=255), "multiple of 8"),
        (lambda d: d.update(min_pdq_quality=101), "0-100"),
        (lambda d: d["client"].update(hashes_per_request=0), "at least one"),
        (lambda d: d["algorithms"]["md5"].update(index="faiss"), "index is one of"),
    ],
)
def test_a_facts_file_that_contradicts_itself_is_refused(change, message):
    data = json.loads(json.dumps(RAW))
    change(data)
    with pytest.raises(ValueError, match=message):
        parse_facts(data)


def test_facts_match_the_parsed_file():
    assert parse_facts(RAW) == FACTS
