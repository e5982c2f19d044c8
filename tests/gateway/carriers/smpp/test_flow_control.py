"""Flow control against the simulator in memory: a fixed throttle share, a
minute-long queue-full episode, the retry budgets and their log lines."""
from __future__ import annotations

import pytest
from twisted.logger import globalLogPublisher

from gateway.carriers.smpp.episodes import Episode
from gateway.carriers.smpp.errors import SubmitFailed
from gateway.simulators.smsc.behaviours import behaviour
from protocols.smpp.pdu import SubmitSmResp

from tests.gateway.carriers.smpp.carrier_rig import Rig, outcome, submit_sm

THROTTLED, QFULL = 0x58, 0x14


@pytest.fixture
def lines():
    seen: list[dict] = []
    globalLogPublisher.addObserver(seen.append)
    yield seen
    globalLogPublisher.removeObserver(seen.append)


def episode_lines(seen: list[dict], what: str) -> tuple[list[dict], list[dict]]:
    mine = [e for e in seen if e.get("what") == what and e.get("carrier") == "acme"]
    starts = [e for e in mine if "slowing down" in e.get("log_format", "")]
    ends = [e for e in mine if "episode over" in e.get("log_format", "")]
    return starts, ends


def test_throttle_share_behaviour_refuses_that_share_whatever_the_rate():
    rig = Rig(behaviour("throttle-share").config(seed=7), window=10)
    results = [outcome(rig.carrier.submit(submit_sm())) for _ in range(400)]
    rig.net.advance(20, step=0.01)
    assert all(isinstance(r[0], SubmitSmResp) for r in results)
    share = rig.sim.responses[THROTTLED] / rig.sim.submits
    assert 0.45 < share < 0.55
    rig.stop()


def test_a_minute_of_queue_full_is_ridden_out_with_two_log_lines(lines):
    config = behaviour("queue-full-episode").config(queue_full_after=50)
    rig = Rig(config, window=10)
    results = [outcome(rig.carrier.submit(submit_sm())) for _ in range(1300)]
    rig.net.advance(150, step=0.05)
    failed = [r[0].value for r in results if r and not isinstance(r[0], SubmitSmResp)]
    assert failed == [] and all(r for r in results)
    assert rig.sim.queue_full_since is not None
    refused = rig.sim.responses[QFULL]
    assert 0 < refused < 1300  # the bind slowed down: not every message hammered it
    assert rig.carrier.stats["acme-1"]["queue_full"] == refused
    assert rig.carrier.stats["acme-1"]["throttling_events"] == 0  # the metric counts 0x58 only
    starts, ends = episode_lines(lines, "queue full")
    assert len(starts) == 1 and len(ends) == 1
    assert ends[0]["refusals"] == refused and ends[0]["failed"] == 0
    assert 55 <= ends[0]["seconds"] <= 75
    rig.stop()


def test_queue_full_budget_is_a_setting_and_fails_with_30001(lines):
    rig = Rig(behaviour("queue-full").config(), queue_full_retry_for=5.0, qfull_backoff=1.0)
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(4.5, step=0.5)
    assert result == [] and rig.sim.submits == 3       # 0, +1 s, +2 s
    rig.net.advance(4.0, step=0.5)                     # +4 s: 7 s after the first
    error = result[0].value
    assert isinstance(error, SubmitFailed)
    assert (error.error_code, error.status) == (30001, QFULL)
    starts, _ = episode_lines(lines, "queue full")
    assert len(starts) == 1 and starts[0]["retry_for"] == 5.0
    rig.stop()


def test_throttle_budget_is_a_setting_and_fails_with_30001():
    rig = Rig(behaviour("throttle-share").config(throttle_ratio=1.0),
              throttle_retry_for=600.0, throttle_max_retries=3)
    result = outcome(rig.carrier.submit(submit_sm()))
    rig.net.advance(10, step=0.05)
    error = result[0].value
    assert (error.error_code, error.status) == (30001, THROTTLED)
    assert rig.sim.submits == 4  # the first try and 3 resends
    rig.stop()


def test_episode_ends_on_an_accepted_answer_after_a_quiet_second():
    episode = Episode(quiet=1.0)
    assert episode.refused(10.0) is True
    assert episode.refused(10.5) is False
    episode.gave_up()
    assert episode.accepted(11.0) is None     # still refusing half a second ago
    summary = episode.accepted(11.6)
    assert (summary.refusals, summary.failed) == (2, 1) and summary.seconds == pytest.approx(1.6)
    assert not episode.active and episode.accepted(12.0) is None


def test_simulate_smsc_options_for_the_flow_behaviours():
    import argparse

    from gateway.simulators.smsc import cli as simcli

    parser = argparse.ArgumentParser()
    simcli.configure(parser)
    config = simcli.config_from(parser.parse_args(
        ["--behaviour", "QueueFullEpisodeSMSC", "--queue-full-for", "30", "--throttle-ratio", "0.2"]))
    assert (config.queue_full_after, config.queue_full_for, config.throttle_ratio) == (100, 30.0, 0.2)
    with pytest.raises(ValueError, match="throttle_ratio"):
        behaviour("throttle-share").config(throttle_ratio=1.5)
