"""The daemon against an SMSC that throttles half of all submits, over TCP:
every message is delivered, at the rate the SMSC accepts (no collapse)."""
from __future__ import annotations

import pytest_twisted
from tests.gateway.e2e.harness import Gateway, Smsc, eventually, gateway_config

COUNT = 200


@pytest_twisted.ensureDeferred
async def test_a_steady_50_percent_throttle_share_still_drains(tmp_path):
    smsc = Smsc(throttle_ratio=0.5, seed=3).start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port,
                                      extra="max_tps = 200\n")).start()
    try:
        sids = [(await gw.send(body=f"note {i}"))["sid"] for i in range(COUNT)]

        async def statuses():
            code, page = await gw.get("/Messages.json", params={"PageSize": str(COUNT)})
            return [m["status"] for m in page["messages"] if m["sid"] in sids]
        done = await eventually(statuses, lambda s: s.count("delivered") == COUNT, timeout=30)
        assert done.count("delivered") == COUNT  # (collapsed to 1/s, this took minutes)
        assert smsc.sim.responses[0x58] > COUNT / 2
    finally:
        await gw.stop()
        await smsc.stop()
