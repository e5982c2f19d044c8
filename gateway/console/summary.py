"""The console's summary: one JSON document for the page and ``carrier-gateway status``.

Shape (every key kept; new ones may be added)::

    {"node", "now", "carriers": [{name, protocol, up, episodes, binds: [...]}],
     "traffic": {interval, window, statuses, points: [{t, sent, failed, ...}]},
     "rates": {status: per second over the last minute},
     "latency": {count, p50, p90, p99},
     "receipts": {matched, waiting, unmatched},
     "queue": {depth, queued, sending, oldest_age},
     "callbacks": {backlog, dead, sent, retried, failing_endpoints},
     "by_status", "counted_at"}
"""
from __future__ import annotations

from typing import Any

from gateway.console.binds import carrier_rows, latency_percentiles
from gateway.store import schema as s


def _rates(traffic: dict, seconds: float = 60.0) -> dict:
    points = traffic["points"]
    recent = points[-max(1, int(seconds // traffic["interval"])):] if points else []
    return {status: round(sum(p[status] for p in recent) / len(recent), 3) if recent else 0.0
            for status in traffic["statuses"]}


def summary(monitor: Any, snapshot: Any, clock: Any, node: str) -> dict:
    now = clock.seconds()
    stored = snapshot.summary
    traffic = snapshot.traffic.series()
    receipts = monitor.sources.get("receipts", dict)()
    callbacks = monitor.sources.get("callbacks", dict)()
    return {
        "node": node, "now": now,
        "carriers": carrier_rows(monitor.carriers, now, node, stored.get("slot_owners")),
        "traffic": traffic, "rates": _rates(traffic),
        "latency": latency_percentiles(monitor.carriers),
        "receipts": {"matched": receipts.get("receipts_applied", 0),
                     "waiting": stored.get("receipts_waiting"),
                     "unmatched": stored.get("receipts_unmatched")},
        "queue": {"depth": monitor.queue_depth, "queued": monitor.by_status.get(s.QUEUED, 0),
                  "sending": monitor.by_status.get(s.SENDING, 0),
                  "oldest_age": stored.get("oldest_queued_age")},
        "callbacks": {"backlog": stored.get("callback_backlog"), "dead": stored.get("callbacks_dead"),
                      "sent": callbacks.get("sent", 0), "retried": callbacks.get("retried", 0),
                      "failing_endpoints": stored.get("failing_endpoints", [])},
        "by_status": dict(monitor.by_status), "counted_at": snapshot.refreshed_at,
    }
