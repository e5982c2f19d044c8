"""End to end: a status callback or an inbound message's sms_url request goes
out as soon as the write that enqueued it commits, whichever service wrote
it, not at the callback sender's next poll of the outbox.

The poll is set to a minute here (the harness polls every 0.1 s, which would
hide a missing wake-up; the daemon's default is 1 s), so a callback that
waited for it would miss the 10 s the test gives it."""
from __future__ import annotations

from dataclasses import replace

import pytest_twisted

from .harness import OUR_NUMBER, Gateway, Smsc, eventually, gateway_config

POLL = 60.0


def _slow_poll(cfg):
    return replace(cfg, callbacks=replace(cfg.callbacks, poll_interval=POLL))


@pytest_twisted.ensureDeferred
async def test_receipt_and_inbound_callbacks_do_not_wait_for_the_poll(tmp_path, web):
    recorder, url = web
    smsc = Smsc(receipt_delay=0.05).start()
    gw = await Gateway(_slow_poll(gateway_config(tmp_path / "gw.db", smsc.port,
                                                 sms_url=url + "/sms"))).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        # The first poll ran at start; the next is a minute away.
        message = await gw.send(status_callback=url + "/status", status_callback_method="POST")
        await gw.wait_status(message["sid"], {"delivered"})
        # sending and sent come from the dispatcher's writes, delivered from
        # the receipt's: each is sent once its write commits.
        await eventually(lambda: recorder.statuses(message["sid"]),
                         lambda s: s == ["sending", "sent", "delivered"])
        statuses = await smsc.sim.inject_mo("hello there", source="+15551239999", destination=OUR_NUMBER)
        assert statuses == [0]
        inbound = await eventually(lambda: [r for r in recorder.requests if r["path"] == "/sms"], bool)
        assert inbound[0]["args"]["Body"] == ["hello there"]
    finally:
        await gw.stop()
        await smsc.stop()
