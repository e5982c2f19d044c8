"""End to end over loopback (issue 14): carrier prices and MaxPrice (30010),
``ApplicationSid`` callbacks, and RCML ``<Message action>`` followed; the
daemon's service tree, the SMSC simulator over TCP and a real HTTP server."""
from __future__ import annotations

import pytest_twisted

from gateway.sms.inbound.store import MAX_ACTIONS

from .harness import OUR_NUMBER, Gateway, Smsc, eventually, gateway_config

PRICES = """
[carriers.prices]
unit = "USD"
prefixes = { "+1" = "0.0075", "+1555123" = "0.0100", "+" = "0.05" }
"""


@pytest_twisted.ensureDeferred
async def test_sent_messages_are_priced_and_max_price_fails_30010(tmp_path, web):
    recorder, url = web
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, extra=PRICES)).start()
    try:
        two = await gw.send(to="+15551230001", body="x" * 200, status_callback=url + "/a",
                            MaxPrice="0.02")
        assert two["price"] is None  # priced once sent
        done = await gw.wait_status(two["sid"], {"sent", "delivered"})
        assert (done["price"], done["price_unit"]) == ("-0.02000", "USD"), done
        code, sms = await gw.post("/SMS/Messages.json", {
            "From": OUR_NUMBER, "To": "+447700900123", "Body": "hi", "StatusCallback": url + "/b"})
        assert code == 201
        sms = await eventually(lambda: gw.get(f"/SMS/Messages/{sms['sid']}.json"),
                               lambda r: r[1]["status"] in ("sent", "delivered"))
        assert (sms[1]["price"], sms[1]["price_unit"]) == ("-0.05000", "USD")

        dear = await gw.send(to="+15551230001", body="x" * 200, status_callback=url + "/c",
                             MaxPrice="0.0199")
        failed = await gw.wait_status(dear["sid"], {"failed", "sent", "delivered"})
        assert (failed["status"], failed["error_code"]) == ("failed", 30010), failed
        assert failed["error_message"] == "Message price exceeds max price"
        assert failed["price"] is None
        await eventually(lambda: recorder.statuses(dear["sid"]), lambda s: "failed" in s)
        last = [r for r in recorder.requests if r["path"] == "/c"][-1]["args"]
        assert (last["MessageStatus"], last["ErrorCode"]) == (["failed"], ["30010"])
        assert smsc.sim.submits == 3  # the two parts of the first, one of the second
    finally:
        await gw.stop()
        await smsc.stop()


APPLICATIONS = """
[[applications]]
sid = "AP{a}"
account = "{account}"
status_callback = "{url}/app"
status_callback_method = "GET"
"""


@pytest_twisted.ensureDeferred
async def test_application_sid_gives_the_status_callback(tmp_path, web):
    from .harness import ACCOUNT, OTHER, OTHER_TOKEN

    recorder, url = web
    extra = (APPLICATIONS.format(a="1" * 32, account=ACCOUNT, url=url)
             + APPLICATIONS.format(a="2" * 32, account=OTHER, url=url))
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, extra=extra)).start()
    try:
        code, made = await gw.post("/SMS/Messages.json", {
            "From": OUR_NUMBER, "To": "+15551230001", "Body": "hi", "ApplicationSid": "AP" + "1" * 32})
        assert code == 201, made
        await eventually(lambda: recorder.statuses(made["sid"]), lambda s: "delivered" in s)
        mine = [r for r in recorder.requests if r["args"]["MessageSid"] == [made["sid"]]]
        assert {(r["method"], r["path"]) for r in mine} == {("GET", "/app")}
        explicit = await gw.send(ApplicationSid="AP" + "1" * 32, status_callback=url + "/own",
                                 status_callback_method="POST")
        await eventually(lambda: recorder.statuses(explicit["sid"]), lambda s: "delivered" in s)
        mine = [r for r in recorder.requests if r["args"]["MessageSid"] == [explicit["sid"]]]
        assert {(r["method"], r["path"]) for r in mine} == {("POST", "/own")}
        code, error = await gw.post("/SMS/Messages.json", {
            "From": OUR_NUMBER, "To": "+15551230001", "Body": "hi", "ApplicationSid": "AP" + "2" * 32})
        assert (code, error["code"]) == (400, 21100) and "ApplicationSid" in error["message"]
        code, error = await gw.post("/SMS/Messages.json", {
            "From": OUR_NUMBER, "To": "+15551230001", "Body": "hi", "ApplicationSid": "AP" + "2" * 32},
            auth=(OTHER, OTHER_TOKEN))
        assert code == 201, error
    finally:
        await gw.stop()
        await smsc.stop()


def _actions(recorder, path="/act"):
    """Action requests (status callbacks to the same URL carry SmsSid)."""
    return [r for r in recorder.requests if r["path"] == path and "SmsSid" not in r["args"]]


@pytest_twisted.ensureDeferred
async def test_rcml_action_is_requested_and_its_rcml_followed(tmp_path, web):
    recorder, url = web
    first = (f'<Response><Message action="{url}/act" method="GET">First</Message>'
             '<Message>never sent: after an action</Message></Response>').encode()
    recorder.script = [(200, first), (200, b"<Response><Message>Second</Message></Response>")]
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, sms_url=url + "/sms")).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        await smsc.sim.inject_mo("hello", source="+15551239999", destination=OUR_NUMBER)

        async def replies():
            code, page = await gw.get("/Messages.json", params={"To": "sms:+15551239999"})
            return sorted((m for m in page["messages"] if m["direction"] != "inbound"),
                          key=lambda m: m["date_created"])

        done = await eventually(replies, lambda r: len(r) == 2 and all(
            m["status"] == "delivered" for m in r))
        assert sorted(m["body"] for m in done) == ["First", "Second"]
        (action,) = _actions(recorder)
        assert action["method"] == "GET"
        first_sid = next(m["sid"] for m in done if m["body"] == "First")
        assert action["args"]["MessageSid"] == [first_sid]
        assert action["args"]["MessageStatus"] == ["queued"]
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_an_rcml_action_loop_stops_after_max_actions(tmp_path, web):
    recorder, url = web
    loop = b'<Response><Message action="act">again</Message></Response>'  # relative to /sms
    recorder.default = (200, loop)
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, sms_url=url + "/sms")).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        await smsc.sim.inject_mo("hello", source="+15551239999", destination=OUR_NUMBER)

        async def replies():
            code, page = await gw.get("/Messages.json", params={"To": "sms:+15551239999",
                                                                "PageSize": "50"})
            return [m for m in page["messages"] if m["direction"] != "inbound"]

        await eventually(lambda: _actions(recorder), lambda a: len(a) >= MAX_ACTIONS)
        done = await eventually(replies, lambda r: len(r) == MAX_ACTIONS + 1 and all(
            m["status"] == "delivered" for m in r))
        assert len(done) == MAX_ACTIONS + 1
        assert len(_actions(recorder)) == MAX_ACTIONS
    finally:
        await gw.stop()
        await smsc.stop()
