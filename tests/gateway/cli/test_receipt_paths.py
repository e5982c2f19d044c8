"""The daemon and ``carrier-gateway receipt`` read a receipt the same way.

Hypothesis draws deliver_sm receipts (receipt-like texts, any data_coding,
well- and ill-formed receipt TLVs, a vendor TLV); the daemon's path reads
the PDU after a trip through the real codec (``parse_pdu`` then the
translator), the command's path reads the JSON line a carrier engineer
would paste -- as ``pdu_hex`` and as the field-by-field form.  Both must
agree on every field, or both refuse the receipt.
"""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from gateway.cli.receipt import describe
from gateway.sms.receipts.translator import DEFAULT_PROFILE, translate
from protocols.smpp.codec import decode, encode
from protocols.smpp.pdu import DeliverSm
from protocols.smpp.receipt import ReceiptError, parse_pdu

NAMES = {0x001E: "receipted_message_id", 0x0427: "message_state", 0x0423: "network_error_code",
         0x0424: "message_payload"}
WORDS = ["id:", "stat:", "err:", "text:", "sub:001 ", "DELIVRD", "UNDELIV", "EXPIRED", "027", "004",
         "0x1B", "1a2b", " ", "\x00"]
texts = st.lists(st.sampled_from(WORDS) | st.text("abc019 :", max_size=5), max_size=12).map("".join)
sizes = {0x001E: st.binary(max_size=6), 0x0427: st.binary(max_size=2), 0x0423: st.binary(max_size=4),
         0x0424: texts.map(str.encode), 0x1401: st.binary(max_size=3)}
tlv = st.sampled_from(sorted(sizes)).flatmap(lambda tag: st.tuples(st.just(tag), sizes[tag]))


def daemon(pdu):
    received = decode(encode(pdu, 1))  # as it arrives on a bind
    try:
        receipt = parse_pdu(received)
    except ReceiptError as exc:
        return {"error": str(exc)}
    if receipt is None:
        return {"is_receipt": False}
    outcome = translate(receipt, DEFAULT_PROFILE)
    return {"is_receipt": True, "message_id": receipt.message_id, "stat": receipt.stat,
            "err": receipt.err, "status": outcome.status, "error_code": outcome.error_code,
            "ignored_tlvs": list(receipt.ignored)}


def command(line):
    try:
        out = describe(json.loads(json.dumps(line)), DEFAULT_PROFILE)
    except ValueError as exc:
        return {"error": str(exc)}
    if not out["is_receipt"]:
        return {"is_receipt": False}
    return {k: out[k] for k in ("is_receipt", "message_id", "stat", "err", "status", "error_code",
                                "ignored_tlvs")}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([0x00, 0x04, 0x08, 0x20, 0x24]), st.sampled_from([0, 3, 8]), texts,
       st.lists(tlv, max_size=5))
def test_daemon_and_command_agree(esm_class, data_coding, text, tlvs):
    short_message = text.encode("utf-16-be") if data_coding == 8 else text.encode("latin-1")
    pdu = DeliverSm(esm_class=esm_class, data_coding=data_coding, short_message=short_message,
                    tlvs=tuple(tlvs))
    expected = daemon(pdu)
    as_trace = command({"pdu_hex": encode(pdu, 1).hex()})
    fields = {"esm_class": esm_class, "data_coding": data_coding, "short_message_hex": short_message.hex(),
              "tlvs_hex": {}}
    extra = []
    for tag, raw in tlvs:  # the first of each known tag by name, the rest by hex tag, in order
        name = NAMES.get(tag)
        if name is not None and name not in fields["tlvs_hex"]:
            fields["tlvs_hex"][name] = raw.hex()
        else:
            extra.append((tag, raw))
    if not extra:
        assert command(fields) == expected
    assert as_trace == expected


def test_restcomm_receipt_pasted_reads_like_the_daemon_reads_it():
    line = {"esm_class": 4, "short_message": "id:0000000001 sub:001 dlvrd:000 submit date:1408121200 "
            "done date:1408121201 stat:UNDELIV err:004 text:Hello",
            "tlvs": {"receipted_message_id": "0000000001", "network_error_code": "03"}}
    out = describe(line, DEFAULT_PROFILE)
    assert (out["message_id"], out["stat"], out["err"], out["status"]) == ("0000000001", "UNDELIV", "004",
                                                                             "undelivered")
    assert out["ignored_tlvs"] == ["network_error_code: must be 3 octets, got 1"]
    assert out["network_error"] is None
