"""SmppCarrier's binds and its submit_sm path against the simulator in memory
(``carrier_rig.py``): binding, rebinding and stopping, the window, retries,
throttling, and each way an SMSC fails a submit."""
from __future__ import annotations

import pytest

from gateway.carriers.smpp.errors import NotSent, SubmitFailed
from gateway.simulators.smsc.behaviours import behaviour
from gateway.simulators.smsc.config import SimConfig
from protocols.smpp.pdu import SubmitSmResp

from tests.gateway.carriers.smpp.carrier_rig import Rig, outcome, submit_sm


def test_binds_and_submits():
    rig = Rig()
    assert rig.carrier.bound_count == 1 and rig.carrier.is_up
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.flush()
    assert isinstance(result[0], SubmitSmResp) and result[0].message_id == "00000001"
    stats = rig.carrier.stats["acme-1"]
    assert stats["accepted"] == 1 and stats["submits"] == 1 and stats["latency_count"] == 1
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
