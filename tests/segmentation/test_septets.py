"""Septet packing (TS 23.038 6.1.2.1.1) and fill bits (TS 23.040 9.2.3.24)."""
import pytest
from hypothesis import given, strategies as st

from segmentation import DecodeError, fill_bits, pack, unpack

septet_strings = st.binary(max_size=200).map(lambda b: bytes(x & 0x7F for x in b))


def test_golden_hello():
    assert pack(b"hello") == bytes.fromhex("E8329BFD06")
    assert unpack(bytes.fromhex("E8329BFD06")) == b"hello"


def test_golden_eight_septets_fill_seven_octets():
    # "hellohel": 8 septets = 56 bits = 7 octets exactly.
    assert pack(b"hellohel") == bytes.fromhex("E8329BFD4697D9")


def test_seven_spare_bits_are_filled_with_cr():
    packed = pack(b"1234567")          # 49 bits -> 7 octets with 7 spare bits
    assert len(packed) == 7
    assert packed[-1] >> 1 == 0x0D
    assert unpack(packed) == b"1234567"


@pytest.mark.parametrize("udh_octets, fill", [(0, 0), (6, 1), (7, 0), (9, 5), (12, 2), (13, 1)])
def test_fill_bits(udh_octets, fill):
    assert fill_bits(udh_octets) == fill


def test_fill_bits_shift_the_septets():
    assert pack(b"A", fill=1) == bytes([0x41 << 1])
    assert unpack(bytes([0x41 << 1]), fill=1) == b"A"


def test_count_beyond_data_is_a_decode_error():
    with pytest.raises(DecodeError):
        unpack(b"\x00", count=2)


def test_octet_above_0x7f_is_refused():
    with pytest.raises(ValueError):
        pack(b"\x80")


@given(septet_strings, st.integers(0, 6))
def test_round_trip_with_known_count(septets, fill):
    packed = pack(septets, fill)
    assert len(packed) == (fill + 7 * len(septets) + 7) // 8
    assert unpack(packed, fill, count=len(septets)) == septets


@given(septet_strings, st.integers(0, 6))
def test_round_trip_without_count(septets, fill):
    if septets.endswith(b"\r"):
        septets += b"x"      # a final CR is ambiguous on the wire (documented)
    assert unpack(pack(septets, fill), fill) == septets
