import pytest

from hashstop.hashing import HashFormatError, Md5Hash, PdqHash, PHash, parse_hash

PDQ_HEX = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_round_trip_lowercases():
    h = PdqHash.from_hex(PDQ_HEX.upper())
    assert h.hex == PDQ_HEX
    assert str(h) == PDQ_HEX
    assert len(h.data) == 32


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PDQ_HEX[:-1], "64 hex characters, got 63"),
        (PDQ_HEX + "0", "64 hex characters, got 65"),
        ("g" + PDQ_HEX[1:], "found 'g'"),
        (" " + PDQ_HEX[1:], "found ' '"),
    ],
)
def test_bad_hex_is_refused_with_reason(text, message):
    with pytest.raises(HashFormatError, match=message):
        PdqHash.from_hex(text)


def test_distance_counts_differing_bits():
    a = PdqHash.from_hex(PDQ_HEX)
    flipped = bytes([a.data[0] ^ 0b1011]) + a.data[1:-1] + bytes([a.data[-1] ^ 0x80])
    b = PdqHash(flipped)
    assert a.distance(b) == 4
    assert a - b == 4
    assert a.distance(a) == 0


def test_distance_refuses_other_algorithm():
    with pytest.raises(HashFormatError, match="cannot compare a pdq hash with a phash hash"):
        PdqHash.from_hex(PDQ_HEX).distance(PHash.from_hex("0123456789abcdef"))


def test_wrong_byte_length_is_refused():
    with pytest.raises(HashFormatError, match="128 bits"):
        Md5Hash(b"\x00" * 15)


def test_parse_hash_by_algorithm_name():
    assert isinstance(parse_hash("phash", "0123456789ABCDEF"), PHash)
    with pytest.raises(HashFormatError, match="unknown algorithm 'sha1'"):
        parse_hash("sha1", "00")
