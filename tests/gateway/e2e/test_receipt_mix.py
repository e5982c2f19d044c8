"""End to end: the daemon against the SMSC simulator's receipt mix.

Every message (single- and multi-part) must end with the status and error
code its receipts call for, seen both through the API and in the last
status callback.  The oracle is what the simulator really sent: a spy around
its pure ``receipt_parts`` records (SMSC message id, stat, time of sending)
for each receipt, and the expected outcome of each stat is the issue's
table, written out here rather than taken from the translator.

Also, inbound: the ``sms_url`` request is retried like a status callback,
and a long message whose parts come over two binds arrives whole, once.
"""
from __future__ import annotations

import pytest
import pytest_twisted
from sqlalchemy import select

from gateway.simulators.smsc import smsc as simulator_module
from gateway.simulators.smsc.behaviours import behaviour
from gateway.store.schema import segments
from segmentation import plan

from .harness import OUR_NUMBER, Gateway, Smsc, eventually, gateway_config

# stat -> (status, error_code): the simulator's failures carry a GSM
# network_error_code with MAP cause 1 (UNDELIV), 27 (EXPIRED), 11 (REJECTD).
EXPECTED = {
    "DELIVRD": ("delivered", None),
    "UNDELIV": ("undelivered", 30005),
    "EXPIRED": ("failed", 30003),
    "REJECTD": ("failed", 30004),
}
SINGLE, MULTI = 24, 6
FINAL = {"delivered", "undelivered", "failed"}


@pytest.fixture
def sent_receipts(monkeypatch):
    """(smsc message id, stat, when it leaves the simulator) per receipt."""
    sent: list[tuple[str, str, float]] = []
    original = simulator_module.receipt_parts

    def spy(message_id, stat, submitted, done, short_message):
        sent.append((message_id.decode("latin-1"), stat, done))
        return original(message_id, stat, submitted, done, short_message)

    monkeypatch.setattr(simulator_module, "receipt_parts", spy)
    return sent


def expected_outcome(receipts: list[tuple[str, float]], *, ordered: bool) -> set[tuple]:
    """A message's acceptable (status, error_code) from its parts' receipts.

    The first failing part to arrive decides; over one bind arrival order is
    the sending order, over several binds any failing part may be first.
    """
    failing = sorted((done, stat) for stat, done in receipts if stat != "DELIVRD")
    if not failing:
        return {EXPECTED["DELIVRD"]}
    if ordered:
        return {EXPECTED[failing[0][1]]}
    return {EXPECTED[stat] for _, stat in failing}


async def smsc_ids(gw) -> dict[str, str]:
    """SMSC message id -> message sid, as the gateway recorded the responses."""
    rows = await gw.tree.parts.store.read(
        lambda conn: conn.execute(select(segments.c.smsc_message_id, segments.c.message_sid)).all())
    return {smsc_id: sid for smsc_id, sid in rows if smsc_id}


@pytest.mark.parametrize("variant", ["one-bind", "receipts-any-bind", "receipt-before-response"])
@pytest_twisted.ensureDeferred
async def test_every_message_ends_with_its_receipts_outcome(tmp_path, web, sent_receipts, variant):
    recorder, url = web
    sim = dict(behaviour("mixed-receipts").settings, seed=5, receipt_jitter=0.4)
    extra = ""
    if variant == "receipts-any-bind":
        sim.update(receipts_any_bind=True)
        extra = "binds = 2\n"
    elif variant == "receipt-before-response":
        sim.update(receipt_before_response=True, response_delay=0.05, receipt_jitter=0.0)
    smsc = Smsc(**sim).start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, extra=extra)).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].bound_count,
                         lambda n: n == (2 if extra else 1))
        sids = []
        for i in range(SINGLE + MULTI):
            body = f"mix {i} " + ("long text " * 20 if i >= SINGLE else "short")
            message = await gw.send(to=f"+1555123{i:04d}", body=body,
                                    status_callback=f"{url}/status", status_callback_method="POST")
            sids.append(message["sid"])
        final = {sid: await gw.wait_status(sid, FINAL) for sid in sids}

        by_message: dict[str, list[tuple[str, float]]] = {sid: [] for sid in sids}
        ids = await smsc_ids(gw)
        for smsc_id, stat, done in sent_receipts:
            by_message[ids[smsc_id]].append((stat, done))
        assert {stat for _, stat, _ in sent_receipts} == set(EXPECTED), "the mix lacks an outcome"
        multi_failed = 0
        for index, sid in enumerate(sids):
            message = final[sid]
            parts = 2 if index >= SINGLE else 1
            assert int(message["num_segments"]) == parts
            assert len(by_message[sid]) == parts, "a receipt is requested for every part"
            wanted = expected_outcome(by_message[sid], ordered=variant != "receipts-any-bind")
            assert (message["status"], message["error_code"]) in wanted, (index, message, by_message[sid])
            multi_failed += parts == 2 and message["status"] != "delivered"
        assert multi_failed, "no multi-part message failed: the mix does not test aggregation"
        if variant == "receipt-before-response":
            assert gw.tree.parts.deliver.stats["receipts_waiting"] > 0, "no receipt came early"

        def last_callbacks():
            last = {}
            for request in recorder.requests:
                args = request["args"]
                last[args["MessageSid"][0]] = (args["MessageStatus"][0],
                                               int(args["ErrorCode"][0]) if "ErrorCode" in args else None)
            return last

        seen = await eventually(last_callbacks, lambda last: all(
            last.get(sid, (None,))[0] in FINAL for sid in sids))
        for sid in sids:
            assert seen[sid] == (final[sid]["status"], final[sid]["error_code"]), sid
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_inbound_callback_is_retried_then_its_rcml_reply_sent(tmp_path, web):
    recorder, url = web
    recorder.script = [(503, b"busy"), (500, b""),
                       (200, b"<Response><Message><Body>pong</Body></Message></Response>")]
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, sms_url=url + "/sms")).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        assert await smsc.sim.inject_mo("ping", source="+15551238888", destination=OUR_NUMBER) == [0]
        await recorder.wait(3)
        calls = [r for r in recorder.requests if r["path"] == "/sms"]
        assert len(calls) == 3 and len({c["args"]["MessageSid"][0] for c in calls}) == 1
        assert all(c["method"] == "POST" and c["args"]["Body"] == ["ping"] for c in calls)

        async def replies():
            code, page = await gw.get("/Messages.json", params={"To": "sms:+15551238888"})
            return [m for m in page["messages"] if m["direction"] != "inbound"]

        sent = await eventually(replies, lambda r: r and r[0]["status"] == "delivered")
        assert len(sent) == 1 and sent[0]["body"] == "pong"
    finally:
        await gw.stop()
        await smsc.stop()


@pytest.mark.parametrize("mode", ["udh", "sar"])
@pytest_twisted.ensureDeferred
async def test_inbound_parts_over_two_binds_become_one_message(tmp_path, web, mode):
    recorder, url = web
    smsc = Smsc().start()
    cfg = gateway_config(tmp_path / "gw.db", smsc.port, sms_url=url + "/sms", extra="binds = 2\n")
    gw = await Gateway(cfg).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].bound_count, lambda n: n == 2)
        text = "Grüße – " + "a handset message long enough for several parts; " * 6  # UCS-2
        parts = plan(text, reference=0, mode=mode).num_segments
        assert parts > 2
        statuses = await smsc.sim.inject_mo(text, source="+15551237777", destination=OUR_NUMBER, mode=mode)
        assert statuses == [0] * parts  # the simulator hands the parts to the two binds in turn
        await recorder.wait(1)
        assert len(recorder.requests) == 1
        call = recorder.requests[0]["args"]
        assert (call["Body"], call["From"], call["To"]) == ([text], ["sms:+15551237777"], [f"sms:{OUR_NUMBER}"])
        inbound = await gw.status(call["MessageSid"][0])
        assert (inbound["direction"], inbound["status"], int(inbound["num_segments"])) == ("inbound", "received", parts)
    finally:
        await gw.stop()
        await smsc.stop()
