"""The GSM 7-bit default alphabet and extension table (TS 23.038 6.2.1)."""
import pytest

from segmentation import DecodeError
from segmentation.gsm7 import DEFAULT, alphabet
from segmentation.tables import DEFAULT_LOCKING, DEFAULT_SINGLE

EXTENSION_CHARS = "^{}\\[~]|\u20ac\x0c"


def test_default_alphabet_has_128_septets_and_127_characters():
    assert len(DEFAULT_LOCKING) == 128
    assert len(set(DEFAULT_LOCKING) - {"\x1b"}) == 127


@pytest.mark.parametrize("septet, char", [
    (0x00, "@"), (0x01, "\u00a3"), (0x02, "$"), (0x09, "\u00c7"), (0x0A, "\n"),
    (0x0D, "\r"), (0x10, "\u0394"), (0x11, "_"), (0x20, " "), (0x24, "\u00a4"),
    (0x40, "\u00a1"), (0x5B, "\u00c4"), (0x5F, "\u00a7"), (0x60, "\u00bf"),
    (0x7F, "\u00e0"),
])
def test_golden_default_septets(septet, char):
    assert DEFAULT.encode(char) == bytes([septet])
    assert DEFAULT.decode(bytes([septet])) == char


def test_extension_table_is_exactly_the_ten_characters():
    assert set(DEFAULT_SINGLE.values()) == set(EXTENSION_CHARS)
    assert DEFAULT.double == frozenset(EXTENSION_CHARS)


@pytest.mark.parametrize("char", list(EXTENSION_CHARS))
def test_every_extension_character_costs_two_septets(char):
    septets = DEFAULT.encode(char)
    assert len(septets) == 2 and septets[0] == 0x1B
    assert len(DEFAULT.encode("a" + char + "b")) == 4
    assert DEFAULT.decode(septets) == char


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\u00e7", "\t", "`", "\u00e1", "\ufffe", "\ufffd"])
def test_characters_outside_gsm(char):
    assert char not in DEFAULT.chars
    with pytest.raises(ValueError):
        DEFAULT.encode("x" + char)
    assert DEFAULT.try_encode(char + "y") is None


@pytest.mark.parametrize("pair", [(None, None), ("tr", "tr"), ("pt", "es"), ("hi", "hi")])
def test_noncharacter_ufffe_is_in_no_table(pair):
    # U+FFFE stands for "no character" in the encoder's table; it must not encode.
    assert alphabet(*pair).try_encode("a\ufffe") is None


def test_every_default_character_round_trips():
    text = "".join(c for c in DEFAULT_LOCKING if c != "\x1b") + EXTENSION_CHARS
    assert DEFAULT.decode(DEFAULT.encode(text)) == text
    assert DEFAULT.decode(DEFAULT.encode(text[::-1])) == text[::-1]


def test_unknown_extension_septet_shows_the_default_character():
    # TS 23.038 6.2.1.1: a code missing from the extension table shows the main table's.
    assert DEFAULT.decode(b"\x1b\x41") == "A"
    assert DEFAULT.decode(b"a\x1b\x1bb") == "a b"


def test_malformed_septets_raise_decode_error():
    with pytest.raises(DecodeError):
        DEFAULT.decode(b"abc\x80")
    with pytest.raises(DecodeError):
        DEFAULT.decode(b"abc\x1b")


def test_alphabets_are_cached_and_pairs_validated():
    assert alphabet("tr", "es") is alphabet("tr", "es")
    with pytest.raises(ValueError):
        alphabet("es", None)   # Spanish has no locking shift table
