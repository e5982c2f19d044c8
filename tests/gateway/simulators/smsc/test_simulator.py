"""The SMSC simulator's behaviours, receipts, ids and routing (in memory)."""
from __future__ import annotations

import re
import uuid
from collections import Counter
from typing import Any

import pytest

from gateway.simulators.smsc.behaviours import CATALOGUE, behaviour
from gateway.simulators.smsc.config import SimConfig, parse_outcomes
from gateway.simulators.smsc.receipts import OutcomePicker
from protocols.smpp.pdu import SubmitSm
from protocols.smpp.receipt import parse_pdu

from gateway.simulators.smsc.testing import MemNet
from tests.gateway.carriers.smpp.carrier_rig import Rig, outcome, submit_sm


def test_catalogue_names_both_ways():
    assert behaviour("NoResponseOnSubmitSMSC") is behaviour("no-response-on-submit")
    assert behaviour("black_hole").class_name == "BlackHoleSMSC"
    for name in ("normal", "black-hole", "no-response-on-submit", "throttle-above",
                 "drop-on-submit", "queue-full", "error-on-submit"):
        assert name in CATALOGUE
    with pytest.raises(KeyError, match="known: normal"):
        behaviour("polite")


def test_behaviour_values_can_be_changed():
    config = behaviour("throttle-above").config(throttle_tps=5.0)
    assert config.throttle_tps == 5.0
    with pytest.raises(ValueError, match="unknown receipt outcome"):
        SimConfig(outcomes={"DELIVERED!": 1})


def test_outcome_mix_follows_the_weights():
    picker = OutcomePicker(parse_outcomes("DELIVRD=90,UNDELIV=5,EXPIRED=5"))
    import random
    rng = random.Random(1)
    counts = Counter(picker.pick(rng.random()) for _ in range(10000))
    assert 8800 < counts["DELIVRD"] < 9200 and 350 < counts["UNDELIV"] < 650


def receipts_of(rig: Rig) -> list:
    return [parse_pdu(pdu) for _, _, pdu in rig.delivered]


def test_receipt_is_classic_text_plus_tlvs():
    rig = Rig()
    result = outcome(rig.carrier.submit(submit_sm(b"Hello receipts, this is a long text",
                                                   registered_delivery=1)))
    rig.net.advance(0.1)  # receipts leave 0.1 s after their responses
    [(_, _, pdu)] = rig.delivered
    text = pdu.short_message.decode()
    assert re.fullmatch(r"id:00000001 sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} "
                        r"stat:DELIVRD err:000 text:Hello receipts, this", text)
    assert pdu.destination_addr == "15550001111" and pdu.source_addr == "15550002222"
    [receipt] = receipts_of(rig)
    assert (receipt.message_id, receipt.stat, receipt.message_state) == (result[0].message_id, "DELIVRD", 2)
    assert receipt.network_error.network_type == 3
    rig.stop()


def test_receipts_only_when_asked_and_on_failure_only():
    config = SimConfig(outcomes={"DELIVRD": 1, "UNDELIV": 1}, seed=3)
    rig = Rig(config)
    for rd in (0, 0, 2, 2, 2, 2, 2, 2, 2, 2):
        rig.carrier.submit(submit_sm(registered_delivery=rd))
    rig.net.advance(0.1)
    stats = {r.stat for r in receipts_of(rig)}
    assert stats == {"UNDELIV"}  # registered_delivery 2: failures only; 0: none
    assert 0 < len(rig.delivered) < 8
    undeliv = receipts_of(rig)[0]
    assert undeliv.err == "001" and undeliv.network_error.code == 1
    rig.stop()


@pytest.mark.parametrize("fmt,pattern", [("decimal", r"\d+"), ("hex", r"[0-9a-f]{8}"),
                                         ("uuid", None)])
def test_message_id_formats(fmt: str, pattern: str | None):
    rig = Rig(SimConfig(id_format=fmt, id_start=2**64, seed=1))
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.flush()
    message_id = result[0].message_id
    if pattern is None:
        assert uuid.UUID(message_id).version == 4
    else:
        assert re.fullmatch(pattern if fmt != "hex" else r"[0-9a-f]+", message_id)
    if fmt == "decimal":
        assert int(message_id) == 2**64
    rig.stop()


@pytest.mark.parametrize("fmt,receipt_fmt,sent,reported", [
    ("hex", "decimal", "000000ff", "255"), ("decimal", "hex", "255", "000000ff"),
    ("hex", "same", "000000ff", "000000ff")])
def test_receipt_id_format_respells_the_same_number(fmt, receipt_fmt, sent, reported):
    rig = Rig(SimConfig(id_format=fmt, receipt_id_format=receipt_fmt, id_start=255))
    result = outcome(rig.carrier.submit(submit_sm(registered_delivery=1)))
    rig.net.advance(0.1)
    [(_, _, pdu)] = rig.delivered
    assert result[0].message_id == sent
    assert pdu.tlv(0x001E) == reported and pdu.short_message.startswith(b"id:%s " % reported.encode())
    rig.stop()
    with pytest.raises(ValueError, match="numeric ids"):
        SimConfig(id_format="uuid", receipt_id_format="decimal")


def test_receipt_delay_and_jitter_on_the_clock():
    rig = Rig(SimConfig(receipt_delay=10.0, receipt_jitter=5.0, seed=2))
    for _ in range(5):
        rig.carrier.submit(submit_sm(registered_delivery=1))
    rig.net.advance(9.9, step=0.1)
    assert rig.delivered == []
    arrivals = []
    for _ in range(52):
        rig.net.advance(0.1)
        arrivals += [rig.net.reactor.seconds()] * (len(rig.delivered) - len(arrivals))
    assert len(arrivals) == 5
    assert arrivals[-1] - arrivals[0] > 1.0  # spread by the jitter, not all at 10 s
    rig.stop()


def test_unknown_system_id_is_refused_with_0x0f():
    net = MemNet(SimConfig(credentials={"other": "pw"}))
    from gateway.carriers.smpp.esme import EsmeProtocol
    from twisted.internet.protocol import Factory
    failures: list = []
    protocols: list = []

    def connected(protocol: EsmeProtocol) -> None:
        protocols.append(protocol)
        protocol.bind().addErrback(failures.append)
    endpoint = net.endpoint_factory(net.settings())
    endpoint.connect(Factory.forProtocol(lambda: EsmeProtocol(net.reactor, net.settings()))
                     ).addCallback(connected)
    net.flush()
    assert failures[0].value.status == 0x0F
    protocols[0].abort()
    net.flush()
    net.sim.stop()
    assert net.reactor.getDelayedCalls() == []


def test_receipts_wait_for_a_receiver_bind():
    rig = Rig(bind="transmitter")
    result = outcome(rig.carrier.submit(submit_sm(registered_delivery=1)))
    rig.net.advance(0.1)
    assert result and rig.sim.stats["waiting_for_receiver"] == 1
    rx = Rig.__new__(Rig)
    rx.net, rx.delivered = rig.net, []
    from gateway.carriers.smpp.carrier import SmppCarrier
    receiver = SmppCarrier("acme-rx", rig.net.settings(bind="receiver"), rig.net.reactor,
                           rig.net.endpoint_factory,
                           deliver_handler=lambda c, b, pdu: rx.delivered.append(pdu))
    receiver.startService()
    rig.net.advance(0.1)
    assert len(rx.delivered) == 1 and rig.sim.stats["waiting_for_receiver"] == 0
    receiver.stopService()
    rig.stop()


def test_error_ratio_with_a_seed():
    rig = Rig(SimConfig(error_ratio=0.5, error_status=0x45, seed=7))
    results = [outcome(rig.carrier.submit(submit_sm())) for _ in range(40)]
    rig.net.flush()
    failed = sum(1 for r in results if not hasattr(r[0], "message_id"))
    assert 10 < failed < 30
    assert rig.sim.stats["responses"]["ESME_RSUBMITFAIL"] == failed
    rig.stop()


def test_unbind_on_submit_makes_the_carrier_rebind_and_resend():
    rig = Rig(behaviour("unbind-on-submit").config())
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.flush()
    assert rig.sim.binds == 1 and result == []
    rig.net.sim.config = SimConfig()
    rig.net.sim._injecting = False
    rig.net.advance(3, step=0.5)
    assert rig.sim.binds == 2 and hasattr(result[0], "message_id")
    rig.stop()


def test_drop_on_submit_ends_in_30090():
    rig = Rig(behaviour("drop-on-submit").config(), retries=1, reconnect_initial=0.5)
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(5, step=0.25)
    assert result[0].value.error_code == 30090
    assert rig.sim.submits == 2
    rig.stop()


def test_overlong_pdu_gets_generic_nack_and_the_connection_closes():
    rig = Rig(SimConfig(max_command_length=1024), retries=0)
    big = SubmitSm(destination_addr="1", tlvs=((0x0424, b"x" * 2000),))  # message_payload
    result = outcome(rig.carrier.submit(big))
    rig.net.flush()
    assert result[0].value.status == 0x02  # ESME_RINVCMDLEN, in a generic_nack
    assert rig.sim.protocol_errors == 1 and not rig.carrier.is_up
    ok = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(3, step=0.5)  # rebinds; a PDU that fits goes through
    assert ok[0].message_id and rig.sim.binds == 2
    rig.stop()


def test_mo_every_seconds():
    rig = Rig(SimConfig(mo_every=2.0, mo_text="ping"))
    rig.net.sim.start()
    rig.net.advance(5, step=1)
    assert [pdu.short_message for _, _, pdu in rig.delivered] == [b"ping", b"ping"]
    rig.stop()


@pytest.mark.parametrize("any_bind", [False, True])
def test_receipts_go_to_the_submitting_transceiver_or_any_bind(any_bind: bool):
    from gateway.carriers.smpp.carrier import SmppCarrier

    rig = Rig(SimConfig(receipts_any_bind=any_bind))
    other: list = []
    receiver = SmppCarrier("acme-rx", rig.net.settings(bind="receiver"), rig.net.reactor,
                           rig.net.endpoint_factory,
                           deliver_handler=lambda c, b, pdu: other.append(pdu))
    receiver.startService()
    rig.net.flush()
    for _ in range(8):
        rig.carrier.submit(submit_sm(registered_delivery=1))
    rig.net.advance(0.1)
    assert len(rig.delivered) + len(other) == 8
    if any_bind:
        assert len(rig.delivered) == len(other) == 4
    else:
        assert other == []
    receiver.stopService()
    rig.stop()


def receipt_text(pdu: Any) -> bytes:
    return pdu.short_message.split(b" text:", 1)[1]


@pytest.mark.parametrize("body,expected", [
    ("Привет, это длинное сообщение в UCS-2 " * 5, "Привет, это длинное ".encode("latin-1", "replace")),
    ("Grüße @ $5 under_score, a long GSM-7 message " * 5, "Grüße @ $5 under_sco".encode("latin-1")),
    ("Café ☕ ok", "Café ? ok".encode("latin-1")),
])
def test_receipt_text_is_the_first_20_characters_of_each_part(body: str, expected: bytes):
    from dataclasses import replace

    from segmentation import plan

    message = plan(body, reference=7)
    rig = Rig()
    for part in message.parts:
        pdu = replace(submit_sm(part.short_message, registered_delivery=1),
                      data_coding=message.data_coding,
                      esm_class=0x40 if part.esm_class_udhi else 0)
        rig.carrier.submit(pdu)
    rig.net.advance(0.1)
    texts = [receipt_text(pdu) for _, _, pdu in rig.delivered]
    assert len(texts) == len(message.parts)
    assert texts[0] == expected  # decoded, no UDH octets, no UCS-2 NULs
    assert all(len(t.decode("latin-1")) <= 20 and b"\x00" not in t for t in texts)
    rig.stop()


def test_receipt_snippet_of_odd_octets():
    from gateway.simulators.smsc.receipts import receipt_snippet

    assert receipt_snippet(0x03, 0, "naïve\r\nline".encode("latin-1")) == "naïve  line".encode("latin-1")
    assert receipt_snippet(0x04, 0, b"\x01\x02binary") == b""
    assert receipt_snippet(0x08, 0x40, b"\x05\x00\x03\x01\x02\x01\x00A\x00B") == b"AB"
    assert receipt_snippet(0x08, 0, b"\x00A\x00") == b"?A?"  # odd UCS-2: the octets as Latin-1
    assert receipt_snippet(0x00, 0x40, b"\x09\x00\x03") == b" ??"  # a UDH overrunning: as is
