"""SmppCarrier against the simulator over an in-memory network (iosim)."""
from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred, fail

from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.carriers.smpp.errors import NotSent, SubmitFailed
from gateway.simulators.smsc.behaviours import behaviour
from gateway.simulators.smsc.config import SimConfig
from protocols.smpp.pdu import SubmitSm, SubmitSmResp

from gateway.simulators.smsc.testing import MemNet


def submit_sm(text: bytes = b"hello", registered_delivery: int = 0) -> SubmitSm:
    return SubmitSm(source_addr_ton=1, source_addr_npi=1, source_addr="15550001111",
                    dest_addr_ton=1, dest_addr_npi=1, destination_addr="15550002222",
                    registered_delivery=registered_delivery, short_message=text)


def outcome(d: Deferred) -> list:
    box: list = []
    d.addBoth(box.append)
    return box


class Rig:
    def __init__(self, config: SimConfig | None = None, handler: Any = None, **settings: Any):
        self.net = MemNet(config)
        self.delivered: list = []
        self.carrier = SmppCarrier("acme", self.net.settings(**settings), self.net.reactor,
                                   self.net.endpoint_factory,
                                   deliver_handler=handler or self._record)
        self.carrier.startService()
        self.net.flush()

    def _record(self, carrier: str, bind: str, pdu: Any) -> None:
        self.delivered.append((carrier, bind, pdu))

    @property
    def sim(self):
        return self.net.sim

    def stop(self) -> None:
        stopped = outcome(self.carrier.stopService())
        self.net.advance(30, step=1)
        assert stopped, "stopService did not finish"
        self.net.sim.stop()
        self.net.flush()
        assert self.net.reactor.getDelayedCalls() == []


def test_binds_and_submits():
    rig = Rig()
    assert rig.carrier.bound_count == 1 and rig.carrier.is_up
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.flush()
    assert isinstance(result[0], SubmitSmResp) and result[0].message_id == "00000001"
    stats = rig.carrier.stats["acme-1"]
    assert stats["accepted"] == 1 and stats["submits"] == 1 and stats["latency_count"] == 1
    rig.stop()


def test_receipt_reaches_the_deliver_handler():
    rig = Rig()
    outcome(rig.carrier.submit(submit_sm(registered_delivery=1)))
    rig.net.advance(0.1)  # the simulator sends a receipt 0.1 s after its response
    [(carrier, bind, pdu)] = rig.delivered
    assert (carrier, bind) == ("acme", "acme-1")
    assert pdu.esm_class == 0x04 and pdu.tlv_raw(0x001E) == b"00000001\0"
    assert rig.sim.delivers_acked == 1
    rig.stop()


def test_submit_waits_while_no_bind_is_up():
    rig = Rig(behaviour("reject-bind").config())
    assert not rig.carrier.is_up
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(20, step=1)
    assert result == [] and rig.carrier.queued == 1
    # the SMSC comes back to its senses: the next attempt binds and sends
    rig.net.sim.config = SimConfig()
    rig.net.advance(70, step=1)
    assert rig.carrier.is_up and isinstance(result[0], SubmitSmResp)
    rig.stop()


def test_bad_password_is_retried_slowly():
    from twisted.logger import LogLevel, formatEvent, globalLogPublisher

    events: list = []
    globalLogPublisher.addObserver(events.append)
    try:
        rig = Rig(SimConfig(credentials={"acme": "other"}), auth_failure_delay=120.0,
                  password="hunter2-secret")
    finally:
        globalLogPublisher.removeObserver(events.append)
    [error] = [e for e in events if e["log_level"] == LogLevel.error]
    assert "ESME_RINVPASWD" in formatEvent(error) and "credentials" in formatEvent(error)
    assert not any("hunter2" in formatEvent(e) or "hunter2" in repr(e) for e in events)
    assert rig.sim.bind_refusals == 1
    assert rig.sim.connections == []  # the refused connection is closed, not left open
    assert rig.carrier.stats["acme-1"]["last_error"].endswith("ESME_RINVPASWD")
    rig.net.advance(100, step=5)
    assert rig.sim.bind_refusals == 1  # no hammering of the SMSC
    rig.net.advance(60, step=5)
    assert rig.sim.bind_refusals == 2
    rig.stop()


def test_rebinds_after_the_connection_is_lost():
    rig = Rig()
    [server] = rig.sim.connections
    server.transport.abortConnection()
    rig.net.flush()
    assert not rig.carrier.is_up
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(3, step=0.5)
    assert rig.carrier.is_up and rig.sim.binds == 2
    assert isinstance(result[0], SubmitSmResp)
    assert rig.carrier.stats["acme-1"]["losses"] == 1
    rig.stop()


def test_no_response_fails_with_30090_after_retries():
    rig = Rig(behaviour("no-response-on-submit").config(), response_timeout=5.0, retries=2)
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(14, step=1)
    assert result == [] and rig.sim.submits == 3  # first send + 2 retries
    rig.net.advance(2, step=1)
    failure = result[0].value
    assert isinstance(failure, SubmitFailed)
    assert (failure.error_code, failure.message) == (30090, "No Response received for SMPP Request")
    assert rig.carrier.stats["acme-1"]["timeouts"] == 3
    rig.stop()


def test_window_caps_outstanding_requests():
    rig = Rig(behaviour("no-response-on-submit").config(), window=5)
    results = [outcome(rig.carrier.submit(submit_sm())) for _ in range(20)]
    rig.net.flush()
    assert rig.sim.submits == 5
    assert rig.carrier.stats["acme-1"]["window_used"] == 5
    assert rig.carrier.queued == 15
    rig.carrier.stopService()
    rig.net.advance(30, step=1)
    assert all(isinstance(r[0].value, NotSent) for r in results)
    rig.net.sim.stop()
    rig.net.flush()
    assert rig.net.reactor.getDelayedCalls() == []


def test_throttled_is_slowed_down_never_failed():
    config = behaviour("throttle-above").config(throttle_tps=20.0)
    rig = Rig(config, window=10)
    results = [outcome(rig.carrier.submit(submit_sm())) for _ in range(60)]
    rig.net.advance(30, step=0.05)
    assert all(isinstance(r[0], SubmitSmResp) for r in results)
    stats = rig.carrier.stats["acme-1"]
    assert stats["throttled"] > 0 and stats["throttling_events"] == stats["throttled"]
    assert stats["tps_limit"] is not None  # it slowed itself down
    rig.stop()


def test_queue_full_backs_off_then_fails_with_30001():
    rig = Rig(behaviour("queue-full").config(), queue_full_max_retries=2, qfull_backoff=1.0)
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(0.5)
    assert result == [] and rig.sim.submits == 1
    rig.net.advance(1.0)        # backoff 1 s: second try
    assert rig.sim.submits == 2 and result == []
    rig.net.advance(2.0)        # backoff 2 s: third try, then the limit
    assert rig.sim.submits == 3
    assert result[0].value.error_code == 30001 and result[0].value.status == 0x14
    rig.stop()


def test_error_status_fails_with_30008_and_the_status():
    rig = Rig(behaviour("error-on-submit").config(error_status=0x45))
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.flush()
    error = result[0].value
    assert (error.error_code, error.status) == (30008, 0x45)
    assert "ESME_RSUBMITFAIL" in error.message
    rig.stop()


def test_enquire_link_timeout_drops_and_rebinds():
    rig = Rig(behaviour("black-hole").config(), enquire_link_interval=10.0,
              response_timeout=5.0)
    assert rig.carrier.is_up
    rig.net.advance(10)          # idle: enquire_link goes out
    assert rig.carrier.is_up
    rig.net.advance(5)           # unanswered: the link is dead
    assert not rig.carrier.is_up
    rig.net.advance(3, step=0.5)
    assert rig.sim.binds == 2 and rig.carrier.is_up
    rig.stop()


def test_graceful_stop_drains_then_unbinds():
    rig = Rig(behaviour("slow").config(response_delay=2.0))
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.flush()
    stopped = outcome(rig.carrier.stopService())
    late = outcome(rig.carrier.submit(submit_sm()))
    assert isinstance(late[0].value, NotSent)
    rig.net.advance(1)
    assert stopped == [] and rig.sim.connections  # still draining
    rig.net.advance(1.5, step=0.5)
    assert isinstance(result[0], SubmitSmResp)
    assert stopped and not rig.sim.connections
    assert not rig.carrier.is_up
    rig.sim.stop()
    rig.net.flush()
    assert rig.net.reactor.getDelayedCalls() == []


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


def test_a_submit_that_cannot_be_encoded_fails_alone():
    rig = Rig()
    bad = outcome(rig.carrier.submit(submit_sm(b"x" * 300)))  # over 255 octets
    good = outcome(rig.carrier.submit(submit_sm()))
    rig.net.flush()
    assert bad[0].value.error_code == 30008 and "255" in bad[0].value.message
    assert isinstance(good[0], SubmitSmResp)
    rig.stop()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_submit_resolves_exactly_once_against_a_flaky_smsc(seed: int):
    """Errors, silence, throttling, queue-full and dropped connections, mixed:
    each submit ends once, as accepted or as a SubmitFailed, none lost."""
    config = SimConfig(error_ratio=0.05, no_response_ratio=0.03, queue_full_ratio=0.05,
                       drop_on_submit=0.01, throttle_tps=200.0, seed=seed,
                       outcomes={"DELIVRD": 8, "UNDELIV": 1, "EXPIRED": 1})
    rig = Rig(config, window=10, binds=2, response_timeout=2.0, retries=2,
              queue_full_max_retries=2, qfull_backoff=0.5, reconnect_initial=0.5, reconnect_max=2.0)
    results = [outcome(rig.carrier.submit(submit_sm(registered_delivery=1))) for _ in range(300)]
    rig.net.advance(120, step=0.05)
    assert all(len(r) == 1 for r in results), [len(r) for r in results if len(r) != 1][:5]
    accepted = [r[0] for r in results if isinstance(r[0], SubmitSmResp)]
    failed = [r[0].value for r in results if not isinstance(r[0], SubmitSmResp)]
    assert all(isinstance(f, SubmitFailed) for f in failed)
    assert {f.error_code for f in failed} <= {30001, 30008, 30090}
    assert len(accepted) > 200 and rig.carrier.queued == 0
    assert len({a.message_id for a in accepted}) == len(accepted)
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
