"""Receipt translation: the status table and the error-code precedence."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from gateway.sms.receipts.profiles import read as read_profiles
from gateway.sms.receipts.translator import (
    DEFAULT_PROFILE, ERROR_MESSAGES, ProfileError, carrier_profile, err_key, load_profiles, profile_from_override,
    translate,
)
from protocols.smpp.receipt import NetworkError, ReceiptError, ReceiptKind, parse_receipt


def receipt(text=b"", esm_class=0x04, **tlvs):
    tlvs.setdefault("receipted_message_id", "1")
    return parse_receipt(esm_class=esm_class, short_message=text, tlvs=tlvs)


@pytest.mark.parametrize("stat_or_state, status, code", [
    ("DELIVRD", "delivered", None), (2, "delivered", None),
    ("UNDELIV", "undelivered", 30008), (5, "undelivered", 30008),
    ("EXPIRED", "failed", 30003), (3, "failed", 30003),
    ("DELETED", "failed", 30008), (4, "failed", 30008),
    ("REJECTD", "failed", 30004), (8, "failed", 30004),
    ("ACCEPTD", "sent", None), (6, "sent", None),
    ("ENROUTE", "sent", None), (1, "sent", None),
    ("BUFFRED", "sent", None), ("UNKNOWN", "sent", None), (7, "sent", None),
    ("DELIVERED", "delivered", None), ("UNDELIVERABLE", "undelivered", 30008), ("REJECTED", "failed", 30004),
    ("WHATEVER", "sent", None),
])
def test_status_table(stat_or_state, status, code):
    if isinstance(stat_or_state, int):
        r = receipt(message_state=stat_or_state)
    else:
        r = receipt(f"stat:{stat_or_state}".encode())
    outcome = translate(r)
    assert (outcome.status, outcome.error_code) == (status, code)
    assert outcome.final == (status != "sent")


@pytest.mark.parametrize("cause, code", [
    (1, 30005), (5, 30005), (9, 30005), (6, 30003), (27, 30003), (31, 30003), (32, 30003),
    (11, 30004), (12, 30004), (13, 30004), (21, 30006), (34, 30008), (255, 30008),
])
def test_gsm_network_error_code_comes_first(cause, code):
    # err:1 would say 30005 and EXPIRED would say 30003: the TLV wins over both.
    r = receipt(b"stat:EXPIRED err:001", network_error_code=bytes([3, 0, cause]))
    assert translate(r).error_code == code


def test_zero_or_non_gsm_network_error_falls_through_to_err():
    assert translate(receipt(b"stat:UNDELIV err:013", network_error_code="030000")).error_code == 30004
    assert translate(receipt(b"stat:UNDELIV err:013", network_error_code="010001")).error_code == 30004


@pytest.mark.parametrize("err, code", [
    ("001", 30005), ("1", 30005), ("027", 30003), ("0x0D", 30004), ("21", 30006),
    ("000", 30008), ("0", 30008), ("999", 30008), ("zz", 30008), ("1B", 30003), ("0x15", 30006),
])
def test_err_table_then_stat_default(err, code):
    assert translate(receipt(f"stat:UNDELIV err:{err}".encode())).error_code == code


def test_err_zero_uses_stat_default():
    assert translate(receipt(b"stat:REJECTD err:000")).error_code == 30004
    assert translate(receipt(b"stat:EXPIRED err:0")).error_code == 30003


def test_no_error_code_for_delivered_even_with_err():
    outcome = translate(receipt(b"stat:DELIVRD err:027", network_error_code="03001b"))
    assert (outcome.status, outcome.error_code, outcome.error_message) == ("delivered", None, None)


def test_raw_stat_and_err_are_kept():
    outcome = translate(receipt(b"stat:undeliverable err:0A2"))
    assert (outcome.stat, outcome.err, outcome.error_message) == ("undeliverable", "0A2", "Unknown error")
    outcome = translate(receipt(b"stat:DELIVRD", message_state=5, network_error_code="030001"))
    assert (outcome.stat, outcome.err) == ("UNDELIV", "3:1")  # the TLV overruled the text's stat


def test_intermediate_notification_never_final():
    r = receipt(b"stat:DELIVRD", esm_class=0x20)
    assert r.kind is ReceiptKind.INTERMEDIATE
    assert translate(r).status == "sent"


def test_profile_swaps_failed_and_undelivered():
    swapped = profile_from_override(DEFAULT_PROFILE, {"failed_undelivered_swap": True})
    assert translate(receipt(b"stat:UNDELIV"), swapped).status == "failed"
    outcome = translate(receipt(b"stat:EXPIRED"), swapped)
    assert (outcome.status, outcome.error_code) == ("undelivered", 30003)
    assert translate(receipt(b"stat:DELIVRD"), swapped).status == "delivered"


def test_profile_maps_its_own_err_and_stat():
    p = profile_from_override(DEFAULT_PROFILE, {"err": {"0A2": 30007, "500": 30004}, "stat": {"failed": "undelivered"}})
    assert translate(receipt(b"stat:UNDELIV err:a2"), p).error_code == 30007
    assert translate(receipt(b"stat:FAILED err:500"), p) .status == "undelivered"
    assert translate(receipt(b"stat:UNDELIV err:27"), p).error_code == 30003  # defaults kept
    bare = profile_from_override(DEFAULT_PROFILE, {"err_inherit": False})
    assert translate(receipt(b"stat:UNDELIV err:27"), bare).error_code == 30008


@pytest.mark.parametrize("override, message", [
    ({"stat": {"DELIVRD": "great"}}, "great"),
    ({"err": {"1": 42}}, "5-digit"),
    ({"err": {"1": True}}, "5-digit"),
    ({"failed_undelivered_swap": "yes"}, "true or false"),
    ({"colour": 1}, "colour"),
])
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(ProfileError, match=message):
        profile_from_override(DEFAULT_PROFILE, override)


def test_profiles_file():
    profiles = read_profiles()
    assert profiles["default"] == DEFAULT_PROFILE
    assert translate(receipt(b"stat:UNDELIV err:1B"), profiles["map-hex"]).error_code == 30003
    assert translate(receipt(b"stat:UNDELIV err:11"), profiles["map-hex"]).error_code == 30008
    assert translate(receipt(b"stat:UNDELIV"), profiles["swapped"]).status == "failed"
    assert carrier_profile(profiles, {"profile": "map-hex", "err": {"1C": 30006}}).err["1c"] == 30006
    assert carrier_profile(profiles, None) is profiles["default"]
    with pytest.raises(ProfileError, match="nope"):
        carrier_profile(profiles, {"profile": "nope"})


def test_profiles_extends_and_cycles():
    profiles = load_profiles('[profiles.a]\nextends = "b"\n[profiles.b]\nfailed_undelivered_swap = true\n')
    assert profiles["a"].failed_undelivered_swap
    with pytest.raises(ProfileError, match="circular"):
        load_profiles('[profiles.a]\nextends = "b"\n[profiles.b]\nextends = "a"\n')
    with pytest.raises(ProfileError):
        load_profiles("not toml [")


def test_err_key():
    assert err_key("000") == err_key("0x0") == "0"
    assert err_key(" 0A2 ") == err_key("0x0a2") == "a2"


def test_network_error_str():
    assert str(NetworkError(3, 27)) == "3:27"


@pytest.mark.parametrize("stat, status, code", [
    ("DELIVRD", "delivered", None), ("UNDELIV", "undelivered", 30005), ("EXPIRED", "failed", 30003),
    ("DELETED", "failed", 30008), ("REJECTD", "failed", 30004), ("ACCEPTD", "sent", None),
    ("ENROUTE", "sent", None), ("UNKNOWN", "sent", None),
])
def test_the_simulators_receipt_mix(stat, status, code):
    """Every outcome our SMSC simulator sends, read off the wire and translated."""
    from gateway.simulators.smsc.receipts import build_receipt
    from protocols.smpp.codec import decode, encode
    from protocols.smpp.constants import Tag
    from protocols.smpp.pdu import DeliverSm
    from protocols.smpp.receipt import parse_pdu

    content = build_receipt("00a1b2", stat, 1.7e9, 1.7e9 + 5, b"hello there")
    pdu = DeliverSm(esm_class=0x04, short_message=content.text, tlvs=(
        (Tag.RECEIPTED_MESSAGE_ID, b"00a1b2\0"), (Tag.MESSAGE_STATE, bytes((content.message_state,))),
        (Tag.NETWORK_ERROR_CODE, content.network_error_code)))
    r = parse_pdu(decode(encode(pdu, 1)))
    outcome = translate(r)
    assert (r.message_id, r.stat, outcome.status, outcome.error_code) == ("00a1b2", stat, status, code)


_fragments = st.one_of(
    st.sampled_from(["id:7 ", "stat:", "err:", "text:", "DELIVRD ", "UNDELIV ", "EXPIRED ", "REJECTED ",
                     "0x1B ", "A02 ", "000 ", "27 ", "\x00"]),
    st.text(max_size=8))
_tlvs = st.fixed_dictionaries({}, optional={
    "message_state": st.integers(0, 255),
    "network_error_code": st.tuples(st.integers(0, 255), st.integers(0, 65535)).map(lambda t: NetworkError(*t)),
})


@settings(max_examples=200)
@given(st.lists(_fragments, max_size=12).map("".join), _tlvs, st.sampled_from([0x04, 0x08, 0x20]),
       st.sampled_from(["default", "map-hex", "swapped"]))
def test_translate_is_total_and_consistent(text, tlvs, esm_class, profile_name):
    """Whatever parses translates: a known status, a code exactly for the failures."""
    try:
        r = receipt(text.encode("latin-1", "replace"), esm_class=esm_class, **tlvs)
    except ReceiptError:
        return
    outcome = translate(r, PROFILES[profile_name])
    assert outcome.status in {"sent", "delivered", "undelivered", "failed"}
    assert (outcome.error_code is not None) == (outcome.status in {"undelivered", "failed"})
    assert outcome.error_code is None or outcome.error_code in ERROR_MESSAGES
    if esm_class == 0x20:
        assert outcome.status == "sent"  # an intermediate notification is never final


PROFILES = read_profiles()
