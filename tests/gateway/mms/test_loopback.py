"""End to end over real loopback HTTP: media from a local server, MmsSender,
the MMSC simulator, and the delivery report POSTed back to an MM7 endpoint."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_twisted
from twisted.internet import defer, reactor
from twisted.web.client import HTTPConnectionPool

from gateway.mms.fetch import FetchPolicy, MediaFetcher
from gateway.mms.sender import MmsSender
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator
from gateway.dispatch.outcomes import Failed, Sent

from tests.gateway.mms.helpers import carrier, noisy_jpeg, png, row
from tests.gateway.mms.loopback import Gateway, MediaServer, Ports, http_client

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOLL_FREE = 525 * 1024


@pytest.fixture(scope="module")
def files():
    return {"/big.jpg": ("image/jpeg", noisy_jpeg(1600, 1200)), "/pic.png": ("image/png", png(64, 48)),
            "/clip.mp4": ("video/mp4", b"\x00" * (TOLL_FREE + 10)), "/page.html": ("text/html", b"<html/>")}


@pytest.fixture
def world(files):
    return {"ports": Ports(), "media": MediaServer(files), "gateway": Gateway(), "sims": []}


@pytest.fixture(autouse=True)
def _cleanup(world):
    yield
    for sim in world["sims"]:
        sim.stop()
    pytest_twisted.blockon(world["ports"].close())


@defer.inlineCallbacks
def start(world, *, allow_private=True, retries=0, **sim_config):
    ports = world["ports"]
    media_url = yield ports.serve(world["media"])
    gw_url = yield ports.serve(world["gateway"].site)
    sim = MmscSimulator(reactor, http_client(), MmscConfig(report_url=gw_url + "/mm7/att-mm7", **sim_config))
    world["sims"].append(sim)
    mmsc_url = ports.add((yield sim.listen(reactor)))
    fetcher = MediaFetcher(reactor, FetchPolicy(allow_private=allow_private, timeout=5),
                           pool=HTTPConnectionPool(reactor, persistent=False))
    sender = MmsSender(carrier(mmsc_url + "/mm7", retries=retries, username="vasp", password="pw"),
                       http_client(), reactor, fetcher, backoff=0.01)
    return sender, sim, media_url


@pytest_twisted.inlineCallbacks
def test_mms_sent_downscaled_and_delivery_report_posted_back(world):
    sender, sim, media = yield start(world, report_delay=0.05, status_mix=(("Expired", 1.0),))
    arrived = world["gateway"].wait()
    outcome = yield sender.send(row(sender="+18005550100", media=[{"url": media + "/big.jpg",
                                                                   "content_type": "image/jpeg"}]), NOW)
    assert isinstance(outcome, Sent), outcome
    message_id = outcome.extra["mm7_message_id"]
    ((accepted_id, info),) = sim.submissions
    assert accepted_id == message_id and info.sender == "+18005550100" and info.vasp_id == "vasp"
    leaves = info.content.leaves()
    assert [leaf.content_type for leaf in leaves] == ["application/smil", "text/plain", "image/jpeg"]
    assert sum(len(leaf.data) for leaf in leaves) < TOLL_FREE < len(noisy_jpeg(1600, 1200))
    yield arrived
    ((name, report),) = world["gateway"].reports
    assert (name, report.message_id, report.mm_status) == ("att-mm7", message_id, "Expired")


@pytest_twisted.inlineCallbacks
def test_unshrinkable_mms_fails_30019_before_sending(world):
    sender, sim, media = yield start(world)
    outcome = yield sender.send(row(sender="+18885550100", media=[{"url": media + "/clip.mp4"}]), NOW)
    assert isinstance(outcome, Failed) and outcome.error_code == 30019 and not outcome.try_next
    assert "toll free" in outcome.error_message and str(TOLL_FREE) in outcome.error_message
    assert sim.stats["requests"] == 0


@pytest_twisted.inlineCallbacks
def test_loopback_media_refused_by_default(world):
    sender, sim, media = yield start(world, allow_private=False)
    outcome = yield sender.send(row(media=[{"url": media + "/pic.png"}]), NOW)
    assert isinstance(outcome, Failed) and outcome.error_code == 21620
    assert "not a public address" in outcome.error_message
    assert world["media"].hits == [] and sim.stats["requests"] == 0


@pytest_twisted.inlineCallbacks
def test_mmsc_size_rejection_and_faults(world):
    sender, sim, media = yield start(world, max_size=100)
    outcome = yield sender.send(row(media=[{"url": media + "/pic.png"}]), NOW)
    assert isinstance(outcome, Failed) and outcome.error_code == 30019 and "2004" in outcome.error_message
    sender, sim, media = yield start(world, fault_rate=1.0, fault_code=3001, retries=1)
    outcome = yield sender.send(row(), NOW)
    assert isinstance(outcome, Failed) and outcome.error_code == 30008 and outcome.try_next
    assert sim.stats["faults"] == 2


@pytest_twisted.inlineCallbacks
def test_inbound_mms_from_simulator_reaches_endpoint(world):
    _, sim, _ = yield start(world)
    from gateway.simulators.mmsc.server import sample_png

    code = yield sim.send_deliver("+15557770000", "+15550100", "hi", [sample_png()])
    assert code == 200
    ((_, mm),) = world["gateway"].delivered
    assert mm.text == "hi" and mm.media[0].data == sample_png().data


@pytest_twisted.inlineCallbacks
def test_fetch_checks(world):
    _, _, media = yield start(world)
    fetcher = MediaFetcher(reactor, FetchPolicy(allow_private=True, max_bytes=100_000, max_redirects=2),
                           pool=HTTPConnectionPool(reactor, persistent=False))
    item = yield fetcher.fetch(media + "/hop/2")
    assert item.content_type == "image/png" and item.data == world["media"].files["/pic.png"][1]
    for path, code in [("/page.html", 12300), ("/big.jpg", 30019), ("/missing", 11200),
                       ("/hop/5", 11200)]:
        with pytest.raises(Exception) as info:
            yield fetcher.fetch(media + path)
        assert getattr(info.value, "error_code", None) == code, (path, info.value)
    with pytest.raises(Exception) as info:
        yield fetcher.fetch("file:///etc/passwd")
    assert info.value.error_code == 21620
