"""Reading MO text with the carrier's default alphabet (pure)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from gateway.sms.inbound.mo_text import ALPHABETS, read_mo


@pytest.mark.parametrize("alphabet, data, text, encoding", [
    ("gsm7", b"a\x00b\x02", "a@b$", "GSM-7"),
    ("latin1", b"a\x00b\xe9", "a\x00bé", "Latin-1"),
    ("ascii", b"a@b", "a@b", "IA5"),
])
def test_data_coding_0_follows_the_setting(alphabet, data, text, encoding):
    read = read_mo(0, data, default_alphabet=alphabet)
    assert (read.text, read.encoding, read.fallback, read.why) == (text, encoding, False, None)


@pytest.mark.parametrize("alphabet", ["gsm7", "ascii"])
def test_octets_above_0x7f_fall_back_to_latin1_keeping_the_udh(alphabet):
    read = read_mo(0, bytes([5, 0, 3, 1, 2, 1]) + b"Se\xf1or", udhi=True, default_alphabet=alphabet)
    assert (read.text, read.concat, read.fallback) == ("Señor", (1, 2, 1, 8), True)
    assert read.why  # what the carrier's alphabet said


def test_setting_applies_to_data_coding_0_only():
    assert read_mo(0xF0, b"a\x00", default_alphabet="latin1").text == "a@"  # GSM DCS: GSM-7
    assert read_mo(0x03, b"\xe9", default_alphabet="gsm7").text == "é"
    read = read_mo(0x01, b"\xe9", default_alphabet="gsm7")  # IA5 explicitly: no fallback
    assert (read.text, read.fallback) == (None, False) and "malformed" in read.why


def test_not_text_keeps_concat_and_says_why():
    read = read_mo(0x04, bytes([5, 0, 3, 9, 2, 2, 0xff]), udhi=True)
    assert (read.text, read.concat, read.encoding) == (None, (9, 2, 2, 8), "binary")
    assert "not text" in read.why
    cut = read_mo(0, b"\x05\x00\x03", udhi=True)
    assert (cut.text, cut.concat, cut.encoding) == (None, None, "unreadable")


def test_trailing_escape_in_gsm7_is_not_read_as_latin1():
    read = read_mo(0, b"ab\x1b")
    assert (read.text, read.fallback) == (None, False) and "escape" in read.why


def test_ucs2_half_surrogate_reads_escaped():
    read = read_mo(8, "a".encode("utf-16-be") + b"\xd8\x3d")
    assert read.text == "a\uffffd83d" and read.encoding == "UCS-2"


def test_unknown_alphabet_is_a_programming_error():
    with pytest.raises(ValueError, match="default_alphabet"):
        read_mo(0, b"", default_alphabet="utf8")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.binary(max_size=40), st.booleans(), st.sampled_from(sorted(ALPHABETS)))
def test_never_raises_and_latin1_reads_all_of_data_coding_0(data_coding, data, udhi, alphabet):
    read = read_mo(data_coding, data, udhi=udhi, default_alphabet=alphabet)
    assert (read.text is None) == (read.why is not None and not read.fallback)
    if data_coding == 0 and read.concat is None and not udhi and alphabet == "latin1":
        assert read.text == data.decode("latin-1")


@pytest.mark.parametrize("data, hint", [
    (b"user@example.com under_score $100", True),  # SMPPSim's ASCII MO, issue 13.7
    (b"a_b", True),
    (b"hello world", False),  # reads the same either way
    (b"a\x00b\x02", False),  # GSM-7's own @ and $
    (b"Caf\xe9 @", False),  # not ASCII (and not GSM-7: the Latin-1 fallback)
    (b"price $5\r\n", True),
])
def test_ascii_octets_with_telltale_characters_give_a_hint(data, hint):
    read = read_mo(0, data)
    assert read.ascii_hint is hint
    if hint:
        assert read.encoding == "GSM-7"  # still read as configured


def test_ascii_hint_only_when_data_coding_0_is_read_as_gsm7():
    assert not read_mo(0, b"a@b", default_alphabet="ascii").ascii_hint
    assert not read_mo(0, b"a@b", default_alphabet="latin1").ascii_hint
    assert not read_mo(0xF0, b"a@b").ascii_hint  # GSM-7 by its own data_coding
    udh = bytes([5, 0, 3, 1, 2, 1])
    assert read_mo(0, udh + b"x_y", udhi=True).ascii_hint  # the UDH octets do not count


def test_gsm7_of_octets_rereads_latin1_read_text():
    from gateway.sms.inbound.mo_text import gsm7_of_octets

    assert gsm7_of_octets("user@example.com $5 a_b") == "user\u00a1example.com \u00a45 a\u00a7b"
    assert gsm7_of_octets("\x1b(x\x1b)\x1beZ\x1b") == "{x}\u20acZ"  # escapes; a dangling one goes
    assert gsm7_of_octets("Caf\xe9 12") == "Caf\xe9 12"  # above 0x7F: kept
