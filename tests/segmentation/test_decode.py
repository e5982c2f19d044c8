"""Decoding inbound short messages, golden cases and fuzz."""
import pytest
from hypothesis import given, strategies as st

from segmentation import Concat, DecodeError, decode, pack
from segmentation.decode import alphabet_of

UDH8 = bytes.fromhex("0500032A0301")         # ref 0x2A, part 1 of 3
UDH16 = bytes.fromhex("0608041234020" "2")    # ref 0x1234, part 2 of 2


def test_gsm7_unpacked():
    d = decode(0x00, b"Hello \x00\x1b\x65")
    assert (d.text, d.concat, d.encoding) == ("Hello @\u20ac", None, "GSM-7")


def test_gsm7_with_8_bit_concat():
    d = decode(0x00, UDH8 + b"abc", udhi=True)
    assert d.concat == Concat(0x2A, 3, 1, 8)
    assert (d.text, d.udh, d.payload) == ("abc", UDH8, b"abc")


def test_ucs2_with_16_bit_concat():
    d = decode(0x08, UDH16 + "\u00e7\U0001F600".encode("utf-16-be"), udhi=True)
    assert d.concat == Concat(0x1234, 2, 2, 16)
    assert d.text == "\u00e7\U0001F600"


def test_gsm7_packed_with_and_without_udh():
    assert decode(0x00, bytes.fromhex("E8329BFD06"), packed=True).text == "hello"
    # After a 6-octet UDH the septets start after 1 fill bit.
    d = decode(0x00, UDH8 + pack(b"hello", fill=1), udhi=True, packed=True)
    assert d.text == "hello" and d.concat.seqno == 1


def test_sar_tlvs():
    d = decode(0x03, "caf\u00e9".encode("latin-1"), sar=(0xBEEF, 4, 2))
    assert d.text == "caf\u00e9" and d.concat == Concat(0xBEEF, 4, 2, 16)
    assert d.encoding == "Latin-1"


def test_udh_concatenation_wins_over_sar_tlvs():
    d = decode(0x00, UDH8 + b"abc", udhi=True, sar=(7, 5, 5))
    assert d.concat == Concat(0x2A, 3, 1, 8)


@pytest.mark.parametrize("dc", [0x02, 0x04, 0xF4, 0xF5, 0x15])
def test_binary_keeps_the_bytes(dc):
    d = decode(dc, b"\x00\xff\x10")
    assert d.text is None and d.encoding == "binary" and d.hex == "00ff10"


@pytest.mark.parametrize("dc, kind", [
    (0x00, "GSM-7"), (0x01, "IA5"), (0x03, "Latin-1"), (0x08, "UCS-2"), (0x10, "GSM-7"),
    (0x18, "UCS-2"), (0xF0, "GSM-7"), (0xF4, "binary"), (0xE0, "UCS-2"), (0x05, "unsupported"),
    (0x30, "unsupported"),
])
def test_alphabet_of(dc, kind):
    assert alphabet_of(dc) == kind


@pytest.mark.parametrize("dc, data, kw, message", [
    (0x00, b"\x80", {}, "above 0x7F"),
    (0x00, b"ab\x1b", {}, "escape"),
    (0x08, b"\x00a\x00", {}, "odd length"),
    (0x08, b"\xd8\x3d", {}, "surrogate"),
    (0x01, b"\xff", {}, "IA5"),
    (0x00, b"", {"udhi": True}, "empty"),
    (0x00, b"\x05\x00\x03", {"udhi": True}, "exceeds"),
    (0x00, b"\x02\x00\x03abc", {"udhi": True}, "overruns"),
    (0x00, b"\x01\x00abc", {"udhi": True}, "truncated"),
    (0x00, b"\x04\x00\x02\x01\x01abc", {"udhi": True}, "length 2"),
    (0x00, b"\x05\x00\x03\x01\x02\x03abc", {"udhi": True}, "part 3 of 2"),
    (0x00, b"\x05\x00\x03\x01\x00\x00abc", {"udhi": True}, "part 0 of 0"),
    (0x00, b"abc", {"sar": (1, 2, 3)}, "part 3 of 2"),
    (0x00, b"abc", {"sar": (70000, 2, 1)}, "out of range"),
    (0x100, b"abc", {}, "octet"),
])
def test_malformed_input_is_a_decode_error(dc, data, kw, message):
    with pytest.raises(DecodeError, match=message):
        decode(dc, data, **kw)


def test_unknown_national_language_falls_back_to_default():
    d = decode(0x00, bytes.fromhex("0324017F") + b"abc", udhi=True)
    assert d.text == "abc" and d.national_locking is None


@given(st.integers(0, 255), st.binary(max_size=300), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.tuples(st.integers(-2, 70000), st.integers(-1, 300),
                                      st.integers(-1, 300))))
def test_fuzz_any_bytes_decode_or_raise_decode_error(dc, data, udhi, packed, sar):
    try:
        d = decode(dc, data, udhi=udhi, packed=packed, sar=sar)
    except DecodeError:
        return
    assert d.text is None or isinstance(d.text, str)
    assert d.udh + d.payload == data
