"""Fuzzing the receipt parser: any input parses, is not a receipt, or raises
ReceiptError; never any other exception."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from protocols.smpp.receipt import Receipt, ReceiptError, parse_receipt, parse_text

KEYS = ["id:", "ID:", "sub:", "dlvrd:", "submit date:", "done_date:", "stat:", "STAT:", "err:", "text:", "Text:"]
fragments = st.one_of(st.sampled_from(KEYS), st.sampled_from(["DELIVRD", "delivered", "0x1b", "000", " ", "\x00"]),
                      st.text(max_size=12))
receiptish = st.lists(fragments, max_size=20).map("".join)

tlv_values = st.one_of(st.none(), st.binary(max_size=8), st.text(max_size=8), st.integers(-5, 300),
                       st.tuples(st.integers(0, 255), st.integers(0, 65535)), st.booleans())
tlvs = st.dictionaries(st.sampled_from(["receipted_message_id", "message_state", "network_error_code",
                                        "message_payload", "other"]), tlv_values, max_size=4)


def check(**kw):
    try:
        result = parse_receipt(**kw)
    except ReceiptError:
        return
    assert result is None or isinstance(result, Receipt)
    if result is not None:
        assert result.message_id
        Receipt.from_dict(result.to_dict())


@settings(max_examples=300)
@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=200), tlvs)
def test_random_bytes(esm_class, data_coding, data, tlv):
    check(esm_class=esm_class, data_coding=data_coding, short_message=data, tlvs=tlv)


@settings(max_examples=300)
@given(receiptish, st.sampled_from([0, 3, 8]), tlvs)
def test_receipt_like_text(text, data_coding, tlv):
    data = text.encode("utf-16-be") if data_coding == 8 else text.encode("latin-1", "replace")
    check(esm_class=0x04, data_coding=data_coding, short_message=data, tlvs=tlv)


@settings(max_examples=200)
@given(receiptish)
def test_parse_text_total(text):
    fields = parse_text(text)
    assert all(isinstance(v, str) and v for v in fields.values())
