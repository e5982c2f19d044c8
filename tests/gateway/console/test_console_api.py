"""The console's JSON and its credentials, against the daemon's real service
tree on loopback with the SMSC simulator and a real callback server."""
from __future__ import annotations

import json

import pytest_twisted
import treq

from gateway.console.passwords import hash_password
from tests.gateway.e2e.conftest import web  # noqa: F401  (fixture)
from tests.gateway.e2e.harness import ACCOUNT, TOKEN, Gateway, Smsc, eventually, gateway_config

OPERATOR, PASSWORD = "ops-alice", "correct horse"
CONSOLE = f'\n[console]\nrefresh = 0.2\n[console.users]\n"{OPERATOR}" = "{hash_password(PASSWORD)}"\n'


async def get_json(gw, path, **kw):
    response = await treq.get(gw.base + path, **kw)
    body = await response.content()
    return response.code, (json.loads(body) if body else None), response


@pytest_twisted.ensureDeferred
async def test_console_credentials(tmp_path):
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, extra=CONSOLE)).start()
    try:
        code, body, _ = await get_json(gw, "/console/api/summary")
        assert code == 401 and body["status"] == 401 and set(body) == {"code", "message", "status", "more_info"}
        code, body, _ = await get_json(gw, "/console/api/summary", auth=(OPERATOR, "wrong"))
        assert code == 401
        code, body, _ = await get_json(gw, "/console/api/summary", auth=(ACCOUNT, TOKEN))
        assert code == 401 and "carriers" not in body  # an account's token is not an operator
        response = await treq.post(gw.base + "/console/login", data={"user": ACCOUNT, "password": TOKEN})
        assert response.code == 401 and not response.cookies()
        response = await treq.post(gw.base + "/console/login", data={"user": OPERATOR, "password": "nope"})
        assert response.code == 401 and not response.cookies()
        response = await treq.post(gw.base + "/console/login",
                                   data={"user": OPERATOR, "password": PASSWORD})
        assert response.code == 204
        cookies = response.cookies()
        code, body, _ = await get_json(gw, "/console/api/summary", cookies=cookies)
        assert code == 200 and body["carriers"][0]["name"] == "sim"
        code, body, _ = await get_json(gw, "/console/api/summary", cookies={"gw_console": "forged"})
        assert code == 401
        response = await treq.get(gw.base + "/console/static/console.js")
        assert response.code == 200 and b"/console/api/" in await response.content()
        response = await treq.get(gw.base + "/console")
        assert response.code == 200 and b"<svg id=\"chart\"" in await response.content()
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_console_off_without_users(tmp_path):
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port)).start()
    try:
        for path in ("/console", "/console/api/summary"):
            response = await treq.get(gw.base + path, auth=(ACCOUNT, TOKEN))
            assert response.code == 404
            await response.content()
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_summary_search_and_history(tmp_path, web):  # noqa: F811
    recorder, url = web
    smsc = Smsc(receipt_delay=0.05).start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, extra=CONSOLE)).start()
    auth = (OPERATOR, PASSWORD)
    try:
        message = await gw.send(body="y" * 200, status_callback=url + "/cb", status_callback_method="POST")
        sid = message["sid"]
        await gw.wait_status(sid, {"delivered"})
        await eventually(lambda: recorder.statuses(sid), lambda s: s[-1:] == ["delivered"])

        def fetch_summary():
            return get_json(gw, "/console/api/summary", auth=auth)

        code, summary, _ = await eventually(
            fetch_summary, lambda r: sum(p["sent"] for p in r[1]["traffic"]["points"]) >= 1
            and r[1]["receipts"]["matched"] >= 2 and r[1]["callbacks"]["backlog"] == 0)
        bind = summary["carriers"][0]["binds"][0]
        assert bind["state"] == "up" and bind["node"] == summary["node"] and bind["window"] == 100
        assert summary["latency"]["count"] >= 2 and summary["latency"]["p50"] > 0
        assert summary["queue"]["oldest_age"] is None and summary["callbacks"]["dead"] == 0

        code, found, _ = await get_json(gw, "/console/api/search?q=" + sid, auth=auth)
        assert code == 200 and [m["sid"] for m in found] == [sid]
        assert found[0]["callback_http"][-1] == 200
        code, history, _ = await get_json(gw, f"/console/api/messages/{sid}", auth=auth)
        assert [e["status"] for e in history["events"]][-1] == "delivered"
        assert len(history["parts"]) == 2 and all(p["smsc_message_id"] for p in history["parts"])
        assert {p["stat"] for p in history["parts"]} == {"DELIVRD"}
        assert [(c["http_status"], c["answer"]) for c in history["callbacks"]][-1] == (200, "HTTP 200")
        smsc_id = history["parts"][1]["smsc_message_id"]
        code, found, _ = await get_json(gw, "/console/api/search?q=" + smsc_id, auth=auth)
        assert [m["sid"] for m in found] == [sid]
        code, found, _ = await get_json(gw, "/console/api/search?q=%2B15551230001", auth=auth)
        assert sid in [m["sid"] for m in found]
        code, body, _ = await get_json(gw, "/console/api/messages/SMnope", auth=auth)
        assert code == 404 and body["code"] == 20404
    finally:
        await gw.stop()
        await smsc.stop()
