"""A bind's state for the console (down, binding, up; why and since when),
driven in memory: a real SmppCarrier against the simulator over iosim, on a
MemoryReactorClock."""
from __future__ import annotations

from gateway.console.binds import carrier_rows
from gateway.simulators.smsc.config import SimConfig
from tests.gateway.carriers.smpp.carrier_rig import Rig


def row(rig, now=None):
    clock = rig.net.reactor
    [carrier] = carrier_rows({"acme": (rig.carrier, "smpp")}, clock.seconds() if now is None else now, "node-a")
    return carrier["binds"][0]


def test_bind_state_follows_the_connection():
    rig = Rig(max_tps=50.0)
    up = row(rig)
    assert (up["state"], up["reason"], up["node"], up["max_tps"], up["window_used"]) == ("up", None, "node-a", 50.0, 0)
    since = up["since"]
    rig.net.advance(7, step=1)
    assert row(rig)["for_seconds"] == 7 and row(rig)["since"] == since
    [server] = rig.sim.connections
    server.transport.abortConnection()
    rig.net.flush()
    down = row(rig)
    assert (down["state"], down["reason"], down["for_seconds"]) == ("down", "connection lost", 0)
    rig.net.advance(3, step=0.5)
    assert row(rig)["state"] == "up"
    rig.stop()
    assert row(rig)["state"] == "down" and row(rig)["reason"] == "unbound"


def test_refused_bind_is_down_with_the_reason():
    rig = Rig(SimConfig(credentials={"acme": "other"}), auth_failure_delay=120.0)
    down = row(rig)
    assert down["state"] == "down" and down["reason"].startswith("bind failed") and "ESME_RINVPASWD" in down["reason"]
    assert down["last_error"].endswith("ESME_RINVPASWD")
    rig.stop()
