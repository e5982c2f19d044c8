"""Real-world MM7 bodies over loopback into a real store: an unknown text
charset, a boundary-less DeliveryReportReq and a DeliverReq without Sender
are stored and answered 1000, not refused."""
from __future__ import annotations

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.sms.inbound.store import NumberRoute
from gateway.mms.endpoint import Mm7Root
from gateway.mms.hooks import StoreHooks
from gateway.messages.store import insert_message
from gateway.store.schema import media, messages
from gateway.store.store import Store
from protocols.mm7.parse import read_envelope, text_of

from tests.protocols.mm7.fixtures import AGGREGATOR_DR, AGGREGATOR_DR_TYPE, deliver_text, mmsc_mo_without_sender, photo
from tests.gateway.receipts_fixtures import T0
from tests.gateway.mms.loopback import http_client

NUMBER = NumberRoute("+15550100", "AC1", "http://app.example/sms", "POST", "messages")


def _seed(conn):
    insert_message(conn, {
        "sid": "MM" + "2" * 32, "account_sid": "AC1", "api": "messages", "direction": "outbound-api",
        "channel": "mms", "from_": "12345", "to": "+15552223333", "body": "hi", "status": "sent",
        "mm7_message_id": "agg-7731", "carrier": "agg", "date_created": T0})


def _inbound(conn):
    rows = conn.execute(select(messages.c.sid, messages.c.from_, messages.c.body)
                        .where(messages.c.direction == "inbound")).all()
    parts = conn.execute(select(media.c.message_sid, media.c.content_type, media.c.data)).all()
    return rows, parts


@pytest_twisted.inlineCallbacks
def _serve(tmp_path, bodies):
    """POST each ``(Content-Type, body)``; the answers' (HTTP code, MM7 kind, StatusCode)."""
    store = Store(f"sqlite:///{tmp_path}/gw.db", reactor)
    yield store.start()
    hooks = StoreHooks(store, reactor, numbers={NUMBER.number: NUMBER}.get, base_url="http://gw.test")
    top = Resource()
    top.putChild(b"mm7", Mm7Root(hooks.on_delivery_report, hooks.on_deliver, carriers={"agg"}))
    port = reactor.listenTCP(0, Site(top), interface="127.0.0.1")
    http = http_client()
    answers = []
    try:
        yield store.write(_seed)
        for ctype, body in bodies:
            response = yield http.post(f"http://127.0.0.1:{port.getHost().port}/mm7/agg", data=body,
                                       headers={"Content-Type": [ctype]})
            content = yield response.content()
            env = read_envelope(response.headers.getRawHeaders(b"content-type")[0], content)
            answers.append((response.code, env.kind, text_of(env.body, "StatusCode")))
        status = yield store.read(lambda conn: conn.execute(
            select(messages.c.status).where(messages.c.sid == "MM" + "2" * 32)).scalar())
        stored = yield store.read(_inbound)
    finally:
        hooks.stop()
        yield port.stopListening()
        yield store.stop()
    return answers, status, stored


@pytest_twisted.inlineCallbacks
def test_unknown_charset_mo_is_stored_with_its_raw_bytes(tmp_path):
    raw = "Grüße".encode() + b"\xff"
    answers, _, (rows, parts) = yield _serve(tmp_path, [deliver_text(c, raw) for c in ("x-unknown", "idna", "punycode")])
    assert answers == [(200, "DeliverRsp", "1000")] * 3
    assert [r.body for r in rows] == ["Grüße\ufffd"] * 3
    assert [(p.content_type, p.data) for p in parts] == [("text/plain", raw)] * 3


@pytest_twisted.inlineCallbacks
def test_boundaryless_report_and_senderless_mo_are_accepted(tmp_path):
    picture = photo()
    answers, status, (rows, parts) = yield _serve(
        tmp_path, [(AGGREGATOR_DR_TYPE, AGGREGATOR_DR), mmsc_mo_without_sender(picture)])
    assert answers == [(200, "DeliveryReportRsp", "1000"), (200, "DeliverRsp", "1000")]
    assert status == "delivered"
    ((sid, sender, body),) = rows
    assert (sender, body) == ("", "Grüße aus Köln")
    assert [(p.message_sid, p.content_type, p.data) for p in parts] == [(sid, "image/jpeg", picture)]
