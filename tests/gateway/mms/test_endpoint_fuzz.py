"""The MM7 endpoint under the structure-aware fuzz: every input is answered
with a SOAP envelope (a 200 answer or a 500 SOAP fault), never Twisted's HTML
500, and every DeliverReq or DeliveryReportReq the endpoint accepts is
written to a real store (SQLite, or PostgreSQL with
GATEWAY_TEST_DATABASE_URL) without error."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from treq.testing import StubTreq
from twisted.web.resource import Resource

from gateway.sms.inbound.store import NumberRoute
from gateway.mms.endpoint import Mm7Root
from gateway.mms.store import apply_delivery_report, store_inbound_mms
from protocols.mm7.parse import read_envelope

from tests.protocols.mm7.mutations import request
from tests.gateway.receipts_fixtures import T0, db_url, migrated_engine  # noqa: F401

NUMBER = NumberRoute("+15550100", "AC1", "http://app.example/sms", "POST", "messages")


@pytest.fixture
def engine(db_url):
    engine = migrated_engine(db_url)
    yield engine
    engine.dispose()


class Recorder:
    """Hooks that write what the endpoint accepted, in a transaction that is
    rolled back (the store must take it; the rows are not needed after)."""

    def __init__(self, engine):
        self.engine, self.accepted, self.failed = engine, 0, []

    def _write(self, fn, *args, **kw):
        try:
            with self.engine.connect() as conn, conn.begin() as tx:
                fn(conn, *args, now=T0, **kw)
                tx.rollback()
        except Exception as exc:
            self.failed.append(exc)
            raise
        self.accepted += 1

    def on_report(self, carrier, report):
        self._write(apply_delivery_report, report, carrier=carrier)

    def on_deliver(self, carrier, mm):
        self._write(store_inbound_mms, mm, carrier=carrier, number=NUMBER, base_url="http://gw")


def test_every_input_gets_a_soap_answer_and_accepted_ones_are_stored(engine):
    # Hypothesis runs inside the test so that every example shares the database.
    @settings(max_examples=250, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=request())
    def check(case):
        answer_is_soap(engine, *case)

    check()


def answer_is_soap(engine, ctype, body):
    recorder = Recorder(engine)
    top = Resource()
    top.putChild(b"mm7", Mm7Root(recorder.on_report, recorder.on_deliver))
    http = StubTreq(top)
    headers = {"Content-Type": [ctype]} if ctype is not None else {}
    d = http.post("http://gw/mm7/mmsc", data=body, headers=headers)
    http.flush()
    response = d.result
    content = http.content(response).result
    assert response.headers.getRawHeaders(b"content-type") == [b'text/xml; charset="utf-8"'], content[:200]
    env = read_envelope("text/xml", content)
    assert recorder.failed == []
    if response.code == 200:
        assert env.kind in ("DeliverRsp", "DeliveryReportRsp") and recorder.accepted == 1
    else:
        assert response.code == 500 and env.kind == "Fault" and recorder.accepted == 0
