"""EsmeProtocol alone: StringTransport, task.Clock, and SMSC bytes made by hand."""
from __future__ import annotations

import struct
from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from gateway.carriers.smpp.errors import BindFailed
from gateway.carriers.smpp.esme import EsmeListener, EsmeProtocol
from gateway.carriers.smpp.settings import BindSettings
from protocols.smpp.codec import decode, encode
from protocols.smpp.events import FailureReason
from protocols.smpp.framer import Framer
from protocols.smpp.pdu import (BindTransceiverResp, DeliverSm, DeliverSmResp, EnquireLink,
                                EnquireLinkResp, GenericNack, SubmitSm, SubmitSmResp, Unbind,
                                UnbindResp)


class Recorder(EsmeListener):
    def __init__(self) -> None:
        self.opened = 0
        self.lost = 0

    def window_opened(self, protocol: EsmeProtocol) -> None:
        self.opened += 1

    def connection_lost(self, protocol: EsmeProtocol) -> None:
        self.lost += 1


class Wire:
    """An EsmeProtocol on a StringTransport, with helpers to play the SMSC."""

    def __init__(self, handler: Any = None, **settings: Any) -> None:
        self.clock = Clock()
        values = dict(system_id="acme", password="pw", window=3, response_timeout=5.0,
                      enquire_link_interval=30.0)
        values.update(settings)
        self.listener = Recorder()
        self.protocol = EsmeProtocol(self.clock, BindSettings(**values), "transceiver",
                                     name="t", listener=self.listener, deliver_handler=handler)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.framer = Framer()

    def sent(self) -> list:
        data = self.transport.value()
        self.transport.clear()
        return [decode(frame) for frame in self.framer.feed(data)]

    def receive(self, pdu: Any, seq: int) -> None:
        self.protocol.dataReceived(encode(pdu, seq))

    def bind(self) -> Deferred:
        d = self.protocol.bind()
        [bind] = self.sent()
        self.receive(BindTransceiverResp(system_id="SMSC"), bind.sequence_number)
        return d

    def lose(self) -> None:
        self.protocol.connectionLost(None)


def test_bind_sends_credentials_and_fires():
    wire = Wire()
    d = wire.protocol.bind()
    [bind] = wire.sent()
    assert (bind.system_id, bind.password, bind.interface_version) == ("acme", "pw", 0x34)
    wire.receive(BindTransceiverResp(system_id="SMSC"), bind.sequence_number)
    assert d.result.system_id == "SMSC"
    assert wire.protocol.can_submit
    wire.lose()
    assert wire.clock.getDelayedCalls() == []


def test_bind_refused_and_bind_timeout_fail_with_bindfailed():
    wire = Wire()
    d = wire.protocol.bind()
    [bind] = wire.sent()
    wire.receive(BindTransceiverResp(command_status=0x0E), bind.sequence_number)
    failures: list = []
    d.addErrback(failures.append)
    assert failures[0].check(BindFailed) and failures[0].value.is_auth_failure

    wire = Wire()
    d = wire.protocol.bind()
    failures = []
    d.addErrback(failures.append)
    wire.clock.advance(5)
    assert failures[0].value.status is None and "no response" in str(failures[0].value)
    wire.lose()
    assert wire.clock.getDelayedCalls() == []


def test_request_timeout_reports_expired_and_frees_the_window():
    wire = Wire()
    wire.bind()
    seen: list = []
    wire.protocol.request(SubmitSm(), lambda ctx, resp, reason, latency: seen.append((ctx, resp, reason)), "job")
    wire.protocol.flush()
    assert wire.protocol.window_available == 2
    wire.clock.advance(4.9)
    assert seen == []
    wire.clock.advance(0.1)
    assert seen == [("job", None, FailureReason.EXPIRED)]
    assert wire.protocol.window_available == 3
    wire.lose()
    assert wire.clock.getDelayedCalls() == []


def test_responses_match_by_sequence_number_in_any_order():
    wire = Wire()
    wire.bind()
    seen: list = []
    for name in ("a", "b", "c"):
        wire.protocol.request(SubmitSm(), lambda ctx, resp, *_: seen.append((ctx, resp.message_id)), name)
    wire.protocol.flush()
    a, b, c = wire.sent()
    data = b"".join(encode(SubmitSmResp(message_id=m), p.sequence_number)
                    for m, p in (("3", c), ("1", a), ("2", b)))
    wire.protocol.dataReceived(data)
    assert seen == [("c", "3"), ("a", "1"), ("b", "2")]
    assert wire.listener.opened >= 1
    wire.lose()


def test_connection_loss_fails_everything_pending():
    wire = Wire()
    wire.bind()
    seen: list = []
    for _ in range(3):
        wire.protocol.request(SubmitSm(), lambda ctx, resp, reason, latency: seen.append(reason))
    wire.lose()
    assert seen == [FailureReason.CONNECTION_LOST] * 3
    assert wire.listener.lost == 1
    assert wire.clock.getDelayedCalls() == []


def test_smsc_enquire_link_is_answered():
    wire = Wire()
    wire.bind()
    wire.receive(EnquireLink(), 77)
    [resp] = wire.sent()
    assert type(resp) is EnquireLinkResp and resp.sequence_number == 77
    wire.lose()


def test_deliver_sm_is_answered_after_the_handler_fires():
    pending: list[Deferred] = []
    wire = Wire(handler=lambda pdu: pending.append(Deferred()) or pending[-1])
    wire.bind()
    wire.receive(DeliverSm(short_message=b"hi"), 9)
    assert wire.sent() == []
    pending[0].callback(None)
    [resp] = wire.sent()
    assert (resp.sequence_number, resp.command_status) == (9, 0)
    wire.lose()


def test_deliver_handler_exception_answers_a_temporary_error(logged_failures):
    logged_failures.expected.add(ZeroDivisionError)
    wire = Wire(handler=lambda pdu: 1 / 0)
    wire.bind()
    wire.receive(DeliverSm(short_message=b"hi"), 9)
    [resp] = wire.sent()
    assert resp.command_status == 0x64  # ESME_RX_T_APPN: the SMSC redelivers
    assert len(logged_failures) == 0
    wire.lose()


@pytest.mark.parametrize("length", [8, 15, 1025])
def test_bad_command_length_gets_generic_nack_and_close(length: int):
    wire = Wire(max_command_length=1024)
    wire.bind()
    wire.receive(DeliverSm(short_message=b"x" * 200), 4)  # under the maximum: fine
    assert [type(p) for p in wire.sent()] == [DeliverSmResp]
    wire.protocol.dataReceived(struct.pack(">IIII", length, 4, 0, 5))
    [nack] = wire.sent()
    assert type(nack) is GenericNack and nack.command_status == 0x02  # ESME_RINVCMDLEN
    assert nack.sequence_number == 5
    assert wire.transport.disconnecting
    wire.protocol.dataReceived(b"more garbage after the error")  # no exception
    wire.lose()
    assert wire.clock.getDelayedCalls() == []


def test_smsc_unbind_is_answered_then_closed():
    wire = Wire()
    wire.bind()
    wire.receive(Unbind(), 5)
    [resp] = wire.sent()
    assert type(resp) is UnbindResp and resp.sequence_number == 5
    assert wire.transport.disconnecting and not wire.protocol.can_submit
    wire.lose()


def test_enquire_link_only_when_idle_and_missing_answer_aborts():
    wire = Wire(enquire_link_interval=10.0)
    wire.bind()
    wire.clock.advance(10)
    [probe] = wire.sent()
    assert type(probe) is EnquireLink
    wire.receive(EnquireLinkResp(), probe.sequence_number)
    # traffic in the last interval: no probe
    wire.clock.advance(10)
    assert wire.sent() == []
    wire.clock.advance(10)
    [probe] = wire.sent()
    wire.clock.advance(5)
    assert wire.transport.disconnecting  # aborted: the link is dead
    wire.lose()
    assert wire.clock.getDelayedCalls() == []


def test_drain_and_unbind_waits_for_the_window_then_unbinds():
    wire = Wire()
    wire.bind()
    seen: list = []
    wire.protocol.request(SubmitSm(), lambda *a: seen.append(a[1]))
    wire.protocol.flush()
    [submit] = wire.sent()
    closed = []
    wire.protocol.drain_and_unbind(10.0).addCallback(closed.append)
    assert not wire.protocol.can_submit and wire.sent() == []  # waiting for the answer
    wire.receive(SubmitSmResp(message_id="1"), submit.sequence_number)
    [unbind] = wire.sent()
    assert type(unbind) is Unbind and seen[0].message_id == "1"
    wire.receive(UnbindResp(), unbind.sequence_number)
    assert wire.transport.disconnecting
    wire.lose()
    assert closed == [None]
    assert wire.clock.getDelayedCalls() == []


def test_drain_is_bounded():
    wire = Wire()
    wire.bind()
    wire.protocol.request(SubmitSm(), lambda *a: None)
    wire.protocol.flush()
    wire.sent()
    wire.protocol.drain_and_unbind(2.0)
    wire.clock.advance(2.0)
    [unbind] = wire.sent()
    assert type(unbind) is Unbind
    wire.lose()
    assert wire.clock.getDelayedCalls() == []


def test_generic_nack_to_a_bind_is_a_refusal_even_with_status_zero():
    wire = Wire()
    d = wire.protocol.bind()
    [bind] = wire.sent()
    wire.receive(GenericNack(command_status=0), bind.sequence_number)
    failures: list = []
    d.addErrback(failures.append)
    assert failures[0].check(BindFailed) and not wire.protocol.can_submit
    wire.lose()
    assert wire.clock.getDelayedCalls() == []
