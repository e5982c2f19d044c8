"""Every segment mode end to end: the daemon's service tree over loopback TCP
to the SMSC simulator, a multi-segment body, receipts back, ``delivered``.

``payload`` sends the body in one PDU (message_payload): the message is
settled by that one PDU's receipt, while ``num_segments`` stays the count
the carrier bills (the segmentation plan's).
"""
from __future__ import annotations

import pytest
import pytest_twisted

from tests.gateway.e2e.harness import Gateway, Smsc, gateway_config

BODY = "segment modes " * 25  # 350 GSM-7 characters: 3 segments of 153


@pytest.mark.parametrize("mode,pdus", [("udh", 3), ("sar", 3), ("payload", 1)])
@pytest_twisted.ensureDeferred
async def test_multi_segment_message_is_delivered(tmp_path, mode, pdus):
    smsc = Smsc(receipt_delay=0.05).start()
    cfg = gateway_config(tmp_path / "gw.db", smsc.port, extra=f'segment_mode = "{mode}"\n')
    gw = await Gateway(cfg).start()
    try:
        message = await gw.send(body=BODY)
        done = await gw.wait_status(message["sid"], {"delivered", "undelivered", "failed"})
        assert done["status"] == "delivered", done
        assert str(done["num_segments"]) == "3"  # billed as the carrier bills
        received = list(smsc.sim.received)
        assert len(received) == pdus
        if mode == "payload":
            assert received[0].short_message == b""
            assert received[0].tlv_raw(0x0424) == BODY.encode("ascii")
        elif mode == "sar":
            assert all(p.tlv_raw(0x020E) is not None for p in received)  # sar_total_segments
        else:
            assert all(p.esm_class & 0x40 for p in received)  # UDHI
    finally:
        await gw.stop()
        await smsc.stop()
