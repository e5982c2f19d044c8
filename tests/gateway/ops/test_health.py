"""/health and /metrics: the monitor's snapshot over a real SQLite store, a
real (unstarted, so down) SmppCarrier, and the Prometheus text format."""
from __future__ import annotations

import json
import re

import pytest
import pytest_twisted
from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.web.test.requesthelper import DummyRequest

from gateway.config import model as config
from gateway.ops.health import HealthResource, Monitor
from gateway.ops.metrics import MetricsResource, render
from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.messages.store import insert_message

from tests.gateway.pipeline_helpers import message_row, open_store

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+(Inf)?$')


@pytest.fixture
def store(tmp_path):
    st = pytest_twisted.blockon(defer.ensureDeferred(open_store(tmp_path / "gw.db")))
    yield st
    pytest_twisted.blockon(st.stop())


def carrier(name="smsc-a", binds=2):
    cfg = config.from_dict({"carriers": [{"name": name, "host": "127.0.0.1", "port": 9,
                                          "system_id": "s", "binds": binds}]})
    return SmppCarrier(name, cfg.carriers[0].smpp, Clock(), lambda settings: None)


def get(resource, path=b"/"):
    request = DummyRequest([path])
    body = resource.render_GET(request)
    return request, body


@pytest_twisted.ensureDeferred
async def test_health_counts_queue_and_reports_binds(store):
    for status in ("queued", "queued", "sending", "delivered"):
        await store.write(insert_message, message_row(status=status))
    monitor = Monitor(store, Clock())
    monitor.add_carrier("smsc-a", carrier(), "smpp")
    await monitor.refresh()
    request, body = get(HealthResource(monitor))
    health = json.loads(body)
    assert request.responseCode == 503 and health["status"] == "down"
    assert (health["queue_depth"], health["queued"], health["sending"]) == (3, 2, 1)
    assert health["carriers"]["smsc-a"] == {
        "protocol": "smpp", "up": False, "binds_up": 0, "binds": 2,
        "bind_state": {"smsc-a-1": "down", "smsc-a-2": "down"}}
    assert request.responseHeaders.getRawHeaders(b"content-type") == [b"application/json"]


def test_health_without_carriers_is_ok_and_degraded_when_one_is_down():
    class Up:  # an MM7 sender reports is_up only
        is_up = True

    monitor = Monitor(None, Clock())
    assert monitor.health()["status"] == "ok"
    monitor.add_carrier("mmsc", Up(), "mm7")
    monitor.add_carrier("smsc-a", carrier(), "smpp")
    assert monitor.health()["status"] == "degraded"
    assert monitor.health()["carriers"]["mmsc"] == {"protocol": "mm7", "up": True}


@pytest_twisted.ensureDeferred
async def test_metrics_are_valid_prometheus_text(store):
    await store.write(insert_message, message_row(status="queued"))
    monitor = Monitor(store, Clock())
    smsc = carrier()
    smsc.binds[0].stats.latency.observe(0.004)
    smsc.binds[0].stats.accepted += 1
    monitor.add_carrier("smsc-a", smsc, "smpp")
    monitor.sources["pipeline"] = lambda: {"sent": 7, "claimed": 9}
    await monitor.refresh()
    request, body = get(MetricsResource(monitor))
    assert request.responseHeaders.getRawHeaders(b"content-type")[0].startswith(b"text/plain; version=0.0.4")
    text = body.decode()
    values = samples(text)
    bind = (("bind", "smsc-a-1"), ("carrier", "smsc-a"))
    assert values[("carrier_gateway_messages", (("status", "queued"),))] == 1
    assert values[("carrier_gateway_bind_up", bind)] == 0
    assert values[("carrier_gateway_window_used", (("bind", "smsc-a-2"), ("carrier", "smsc-a")))] == 0
    assert values[("carrier_gateway_throttling_events_total", bind)] == 0
    assert values[("carrier_gateway_submit_latency_seconds_bucket", bind + (("le", "0.005"),))] == 1
    assert values[("carrier_gateway_submit_latency_seconds_count", bind)] == 1
    assert values[("carrier_gateway_pipeline_sent_total", ())] == 7
    assert values[("carrier_gateway_status_changes_total", (("status", "sent"),))] == 7
    assert values[("carrier_gateway_smpp_accepted_total", bind)] == 1
    _check_format(text)


def samples(text: str) -> dict:
    """(sample name, sorted labels) -> value, read by the library's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _check_format(text: str) -> None:
    """Each family is one block: HELP, TYPE, then only its own samples."""
    seen, family = set(), None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            family = line.split()[2]
            assert family not in seen, f"family {family} split in two blocks"
            seen.add(family)
        elif line.startswith("# TYPE "):
            assert line.split()[2] == family
        else:
            assert SAMPLE.match(line), line
            name = line.split("{")[0].split(" ")[0]
            assert name == family or name in (family + "_bucket", family + "_sum", family + "_count",
                                              family + "_total", family + "_created"), line


def test_label_values_are_escaped():
    monitor = Monitor(None, Clock())
    monitor.add_carrier('we"ird\\name', carrier('we"ird\\name', binds=1), "smpp")
    text = render(monitor).decode()
    assert 'carrier="we\\"ird\\\\name"' in text
    _check_format(text)


def test_every_metric_carries_the_node_label():
    from prometheus_client import generate_latest

    from gateway.ops.metrics import registry

    monitor = Monitor(None, Clock())
    monitor.add_carrier("smsc-a", carrier(), "smpp")
    monitor.sources["pipeline"] = lambda: {"sent": 7}
    monitor.node_id = "gw-7"
    text = generate_latest(registry(monitor)).decode()
    values = samples(text)
    assert values[("carrier_gateway_pipeline_sent_total", (("node", "gw-7"),))] == 7
    assert values[("carrier_gateway_bind_up", (("bind", "smsc-a-1"), ("carrier", "smsc-a"), ("node", "gw-7")))] == 0
    assert any(name.startswith("process_") for name, _ in values)
    assert {dict(labels).get("node") for _, labels in values} == {"gw-7"}
    _check_format(text)


def test_health_names_the_node(tmp_path):
    from twisted.internet.testing import MemoryReactorClock

    from gateway.config import model as config
    from gateway.daemon.root import build

    tree = build(config.loads(f'[store]\nurl = "sqlite:///{tmp_path}/x.db"\n[cluster]\nnode_id = "gw-7"\n'),
                 MemoryReactorClock(), environ={})
    assert tree.parts.monitor.health()["node"] == "gw-7"
    assert Monitor(None, Clock()).health()["node"] is None


@pytest_twisted.ensureDeferred
async def test_the_queue_is_counted_every_refresh_every_status_every_full_every(store):
    """On a store whose count of every status is not cheap (``cheap=0.0``:
    none is), queued and sending follow each refresh; the other statuses (an
    index entry read per message stored) are recounted every FULL_EVERY
    refreshes."""
    from gateway.messages.store import transition
    from gateway.ops.health import FULL_EVERY

    rows = [message_row(status=status) for status in ("queued", "queued", "sending", "delivered")]
    for row in rows:
        await store.write(insert_message, row)
    monitor = Monitor(store, Clock(), cheap=0.0)
    await monitor.refresh()
    assert monitor.by_status == {"queued": 2, "sending": 1, "delivered": 1}
    now = rows[2]["date_created"]
    await store.write(lambda conn: transition(conn, rows[2]["sid"], "sent", now=now))
    await store.write(insert_message, message_row(status="delivered"))
    await monitor.refresh()  # the queue only: sending gone, delivered as last counted
    assert monitor.by_status == {"queued": 2, "delivered": 1}
    for _ in range(FULL_EVERY - 2):
        await monitor.refresh()
    assert monitor.by_status == {"queued": 2, "delivered": 1}
    await monitor.refresh()  # the FULL_EVERY-th since the last full count
    assert monitor.by_status == {"queued": 2, "sent": 1, "delivered": 2}
    assert monitor.queue_depth == 2


def test_the_queue_counts_read_only_the_queue(conn):
    """SQLite's plans of the every-refresh counts: the queue's partial index
    and (account, status) ranges, no scan of the messages."""
    from sqlalchemy import insert

    from gateway.ops.health import count_live
    from gateway.store import schema as s
    from tests.gateway.store.plans import statement_plans

    if conn.dialect.name != "sqlite":
        return  # PostgreSQL plans from its statistics
    finished = [message_row(status="delivered") for _ in range(300)]
    conn.execute(insert(s.messages), [dict(row, date_updated=row["date_created"]) for row in finished])
    plans = statement_plans(conn, lambda: count_live(conn))
    counts = [plan for statement, plan in plans if "FROM messages" in statement]
    assert len(counts) == 2, plans
    assert all("SCAN messages" not in plan for plan in counts), plans  # the counts tables: a row per account


@pytest_twisted.ensureDeferred
async def test_a_small_store_is_counted_whole_at_every_refresh(store):
    """While counting every status is cheap (a few ms: a small store, such as
    the demo's), every refresh counts them all, so a delivered message shows
    at the next refresh."""
    await store.write(insert_message, message_row(status="queued"))
    monitor = Monitor(store, Clock())
    await monitor.refresh()
    assert monitor.by_status == {"queued": 1}
    await store.write(insert_message, message_row(status="delivered"))
    await monitor.refresh()
    assert monitor.by_status == {"queued": 1, "delivered": 1}
