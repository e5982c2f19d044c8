"""What the SMSC sends SmppCarrier, against the simulator in memory
(``carrier_rig.py``): receipts and MO messages reaching the deliver handler,
on which bind, in what order, and the response held for the handler."""
from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred, fail

from gateway.simulators.smsc.behaviours import behaviour
from gateway.simulators.smsc.config import SimConfig
from protocols.smpp.pdu import SubmitSmResp

from tests.gateway.carriers.smpp.carrier_rig import Rig, outcome, submit_sm


def test_receipt_reaches_the_deliver_handler():
    rig = Rig()
    outcome(rig.carrier.submit(submit_sm(registered_delivery=1)))
    rig.net.advance(0.1)  # the simulator sends a receipt 0.1 s after its response
    [(carrier, bind, pdu)] = rig.delivered
    assert (carrier, bind) == ("acme", "acme-1")
    assert pdu.esm_class == 0x04 and pdu.tlv_raw(0x001E) == b"00000001\0"
    assert rig.sim.delivers_acked == 1
    rig.stop()


def test_transmitter_receiver_pair_gets_receipts_on_the_receiver():
    rig = Rig(bind="transmitter+receiver", binds=2)
    assert [b.name for b in rig.carrier.binds] == ["acme-1-tx", "acme-1-rx", "acme-2-tx", "acme-2-rx"]
    assert rig.carrier.bound_count == 4
    results = [outcome(rig.carrier.submit(submit_sm(registered_delivery=1))) for _ in range(4)]
    rig.net.flush()
    assert all(isinstance(r[0], SubmitSmResp) for r in results) and rig.delivered == []
    rig.net.advance(0.1)  # receipts leave 0.1 s after their responses
    assert {b.stats.submits for b in rig.carrier.binds if b.kind == "transmitter"} == {2}
    assert len(rig.delivered) == 4 and {d[1] for d in rig.delivered} <= {"acme-1-rx", "acme-2-rx"}
    rig.stop()


def test_deliver_handler_deferred_delays_the_response():
    pending: list[Deferred] = []

    def handler(carrier: str, bind: str, pdu: Any) -> Deferred:
        d: Deferred = Deferred()
        pending.append(d)
        return d
    rig = Rig(handler=handler)
    acked = outcome(rig.sim.inject_mo("hello"))
    rig.net.flush()
    assert len(pending) == 1 and acked == []
    pending[0].callback(None)
    rig.net.flush()
    assert acked == [[0]]
    rig.stop()


def test_failing_deliver_handler_gets_a_temporary_error_and_redelivery(logged_failures):
    logged_failures.expected.add(RuntimeError)
    calls: list = []

    def handler(carrier: str, bind: str, pdu: Any) -> Deferred:
        calls.append(pdu)
        return fail(RuntimeError("store down")) if len(calls) == 1 else None
    rig = Rig(SimConfig(redeliver_delay=5.0), handler=handler)
    acked = outcome(rig.sim.inject_mo("hello"))
    rig.net.flush()
    assert len(calls) == 1 and rig.sim.deliver_errors == 1 and acked == []
    rig.net.advance(5)
    assert len(calls) == 2 and acked == [[0]]
    rig.stop()


@pytest.mark.parametrize("mode", ["udh", "sar"])
def test_concatenated_mo_arrives_in_parts(mode: str):
    from segmentation import decode

    rig = Rig()
    text = "This inbound message is long enough to need two parts. " * 3
    acked = outcome(rig.sim.inject_mo(text, mode=mode, reference=42))
    rig.net.flush()
    assert acked == [[0, 0]]
    parts = [pdu for _, _, pdu in rig.delivered]
    decoded = []
    for pdu in parts:
        sar = None
        if mode == "sar":
            sar = (pdu.tlv(0x020C), pdu.tlv(0x020E), pdu.tlv(0x020F))
        decoded.append(decode(pdu.data_coding, pdu.short_message,
                              udhi=bool(pdu.esm_class & 0x40), sar=sar))
    assert [d.concat.seqno for d in decoded] == [1, 2]
    assert {d.concat.reference for d in decoded} == {42}
    assert "".join(d.text for d in decoded) == text
    rig.stop()


def test_receipt_before_response_reaches_the_handler_first():
    rig = Rig(behaviour("receipt-before-response").config())
    order: list = []
    rig.delivered = order
    result = outcome(rig.carrier.submit(submit_sm(registered_delivery=1)))
    result_box = result
    rig.net.flush()
    assert len(order) == 1 and result_box == []
    rig.net.advance(0.05)
    assert isinstance(result_box[0], SubmitSmResp)
    assert order[0][2].tlv(0x001E) == result_box[0].message_id
    rig.stop()
