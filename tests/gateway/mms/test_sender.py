"""MmsSender in memory (StubTreq in front of the simulator, a Clock): what
goes into the SubmitReq from the carrier config and the message row, the
carrier's own size limits, and an ended validity."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from treq.testing import StubTreq
from twisted.internet.task import Clock

from gateway.mms.sender import MmsSender
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator
from gateway.dispatch.outcomes import Failed, Sent
from protocols.mm7.parse import read_envelope, text_of
from protocols.mm7.schema import REL5_1_0

from tests.gateway.mms.helpers import carrier, row

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Recording(MmscSimulator):
    def handle_submit(self, content_type, body, auth):
        self.raw = (content_type, body)
        return super().handle_submit(content_type, body, auth)


def send(message, **settings):
    clock = Clock()
    sim = Recording(clock, None, MmscConfig())
    http = StubTreq(sim.resource())
    sender = MmsSender(carrier("http://mmsc/mm7", **settings), http, clock, fetcher=None)
    results = []
    sender.send(message, NOW).addCallback(results.append)
    http.flush()
    assert not clock.getDelayedCalls()
    return results[0], sim


def test_submit_req_carries_config_and_row_fields():
    message = {**row(sender="55555", body="hi"), "linked_id": "mo-42",
               "expires_at": NOW + timedelta(hours=4)}
    outcome, sim = send(message, mm7_version="5.3.0", use_prefix=False)
    assert isinstance(outcome, Sent) and outcome.extra["mm7_message_id"] == sim.submissions[0][0]
    env = read_envelope(*sim.raw)
    assert (env.namespace, env.version, env.transaction_id) == (REL5_1_0, "5.3.0", message["sid"])
    assert b"mm7:" not in sim.raw[1]
    fields = {name: text_of(env.body, name) for name in
              ("VASPID", "VASID", "ShortCode", "ServiceCode", "LinkedID", "ExpiryDate", "DeliveryReport")}
    assert fields == {"VASPID": "vasp", "VASID": "vas", "ShortCode": "55555", "ServiceCode": "svc",
                      "LinkedID": "mo-42", "ExpiryDate": "PT14400S", "DeliveryReport": "true"}


def test_carrier_size_limits_override_the_profile():
    message = row(body="x" * 3000)  # fits att's 1 MB long-code limit, not 2 KB
    outcome, sim = send(message, size_limits={"long_code": 2048})
    assert isinstance(outcome, Failed) and outcome.error_code == 30019 and "2048-byte limit" in outcome.error_message
    assert sim.stats["requests"] == 0
    outcome, _ = send(message, size_limits={"toll_free": 2048})  # another sender type: no effect
    assert isinstance(outcome, Sent)


def test_ended_validity_is_not_sent():
    outcome, sim = send({**row(), "expires_at": NOW - timedelta(seconds=1)})
    assert isinstance(outcome, Failed) and outcome.error_code == 30001 and sim.stats["requests"] == 0
