"""``GET /metrics``: Prometheus exposition by the ``prometheus-client`` library.

Everything is read at scrape time from objects the daemon already keeps
(the monitor's store snapshot, each SMPP bind's counters and latency
histogram, the dispatcher's, callback sender's and deliver handler's
``stats``, the console's store summary), through one custom collector, so
a scrape costs no SQL and no locks.  The library writes the text format
(escaping, ``_total``, ``_bucket``/``_sum``/``_count``), and adds the
standard ``process_*`` metrics.

Names (all prefixed ``carrier_gateway_``; README "Metrics" lists them):
the names of earlier releases are unchanged; counters end in ``_total``,
times are in seconds, per-bind series carry ``carrier`` and ``bind``.
Every series (the ``process_*`` ones too) carries ``node``, the daemon's
``[cluster] node_id``: scrapes of several nodes of a cluster stay apart,
and ``sum without (node)`` gives the cluster's figure.

With ``[ops] metrics_auth = true`` a scrape needs the [ops] credentials
(HTTP Basic): without them 401, over the failure budget 429, both with the
API's JSON error body.
"""
from __future__ import annotations

from typing import Any, Iterable

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from gateway.api.pages import JsonErrorsLeaf

from gateway.ops.health import Monitor

PREFIX = "carrier_gateway"
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
BIND_LABELS = ("carrier", "bind")

# Per-bind counters of gateway.carriers.smpp.stats.BindStats, as Prometheus counters.
_BIND_COUNTERS = {
    "submits": "submit_sm written (resends included)",
    "accepted": "submit_sm answered ESME_ROK",
    "rejected": "submit_sm answered with a final error status",
    "throttled": "ESME_RTHROTTLED answers",
    "queue_full": "ESME_RMSGQFUL answers",
    "timeouts": "requests with no answer in response_timeout",
    "lost_in_flight": "requests unanswered when the connection went",
    "bind_attempts": "bind attempts",
    "bind_failures": "failed bind attempts",
    "losses": "connections lost",
}

# Status changes the daemon makes, counted where it makes them:
# status label -> (monitor source, counter).
STATUS_CHANGES = {"sent": ("pipeline", "sent"), "failed": ("pipeline", "failed"),
                  "receipted": ("receipts", "receipts_applied"), "received": ("receipts", "mo")}

# The console's store summary (gateway.console.snapshot) as gauges.
_STORE_GAUGES = {
    "queue_oldest_age_seconds": ("oldest_queued_age", "Age of the oldest queued message."),
    "callbacks_backlog": ("callback_backlog", "Callbacks waiting to be delivered."),
    "callbacks_dead": ("callbacks_dead", "Callbacks given up on (kept in the outbox)."),
    "receipts_waiting": ("receipts_waiting", "Receipts kept until their part is known."),
    "receipts_unmatched": ("receipts_unmatched", "Receipts that matched no message in time."),
}


def _name(name: str) -> str:
    return f"{PREFIX}_{name}"


class GatewayCollector:
    """A prometheus-client collector over the monitor (and the console snapshot)."""

    def __init__(self, monitor: Monitor, snapshot: Any = None):
        self.monitor = monitor
        self.snapshot = snapshot

    def collect(self) -> Iterable[Any]:
        m = self.monitor
        messages = GaugeMetricFamily(_name("messages"), "Messages in the store by status.", labels=["status"])
        for status, count in sorted(m.by_status.items()):
            messages.add_metric([status], count)
        yield messages
        yield GaugeMetricFamily(_name("queue_depth"), "Messages queued or being sent.", value=m.queue_depth)
        yield from self._store_gauges()
        yield from self._status_changes()
        up = GaugeMetricFamily(_name("carrier_up"), "1 when the carrier can take messages.",
                               labels=["carrier", "protocol"])
        smpp = {}
        for name, (carrier, protocol) in sorted(m.carriers.items()):
            up.add_metric([name, protocol], int(bool(getattr(carrier, "is_up", False))))
            stats = getattr(carrier, "stats", None)
            if protocol == "smpp" and isinstance(stats, dict):
                smpp[name] = stats
        yield up
        yield from _binds(smpp)
        for source, get in sorted(m.sources.items()):
            for key, value in sorted(get().items()):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    yield CounterMetricFamily(_name(f"{source}_{key}"), f"{source}: {key.replace('_', ' ')}.",
                                              value=value)

    def _store_gauges(self) -> Iterable[Any]:
        summary = getattr(self.snapshot, "summary", None) or {}
        for name, (key, help_text) in _STORE_GAUGES.items():
            value = summary.get(key)
            if name == "queue_oldest_age_seconds" and value is None and summary:
                value = 0.0  # nothing queued
            if value is not None:
                yield GaugeMetricFamily(_name(name), help_text, value=value)

    def _status_changes(self) -> Iterable[Any]:
        family = CounterMetricFamily(_name("status_changes"), "Status changes the daemon made, by status.",
                                     labels=["status"])
        for status, (source, key) in STATUS_CHANGES.items():
            get = self.monitor.sources.get(source)
            if get is not None:
                family.add_metric([status], get().get(key, 0))
        yield family


def _binds(smpp: dict[str, dict]) -> Iterable[Any]:
    rows = [((carrier, bind), b) for carrier, stats in sorted(smpp.items()) for bind, b in sorted(stats.items())]
    gauges = (("bind_up", "1 when the SMPP bind is bound.", lambda b: int(bool(b.get("bound")))),
              ("window_size", "Outstanding requests allowed per bind.", lambda b: b.get("window", 0)),
              ("window_used", "Requests awaiting a response on the bind.", lambda b: b.get("window_used", 0)),
              ("bind_tps_limit", "TPS limit in force on the bind (absent: none).", lambda b: b.get("tps_limit")))
    for name, help_text, value in gauges:
        family = GaugeMetricFamily(_name(name), help_text, labels=BIND_LABELS)
        for labels, b in rows:
            if value(b) is not None:
                family.add_metric(labels, value(b))
        yield family
    events = CounterMetricFamily(_name("throttling_events"), "Adaptive slow-downs after ESME_RTHROTTLED.",
                                 labels=BIND_LABELS)
    for labels, b in rows:
        events.add_metric(labels, b.get("throttling_events", 0))
    yield events
    for key, help_text in _BIND_COUNTERS.items():
        family = CounterMetricFamily(_name(f"smpp_{key}"), f"SMPP {help_text}.", labels=BIND_LABELS)
        for labels, b in rows:
            if key in b:
                family.add_metric(labels, b[key])
        yield family
    latency = HistogramMetricFamily(_name("submit_latency_seconds"), "submit_sm to submit_sm_resp latency.",
                                    labels=BIND_LABELS)
    for labels, b in rows:
        latency.add_metric(list(labels), list(b.get("latency_buckets") or [("+Inf", 0)]),
                           float(b.get("latency_sum", 0.0)))
    yield latency


class NodeLabel:
    """Another collector's samples, each with ``node`` (read at scrape time
    from the monitor; no label while the monitor names no node)."""

    def __init__(self, collector: Any, monitor: Monitor):
        self.collector = collector
        self.monitor = monitor

    def collect(self) -> Iterable[Any]:
        node = self.monitor.node_id
        for family in self.collector.collect():
            if node is not None:
                family.samples = [s._replace(labels={**s.labels, "node": node}) for s in family.samples]
            yield family


def registry(monitor: Monitor, snapshot: Any = None, *, process: bool = True) -> CollectorRegistry:
    out = CollectorRegistry(auto_describe=False)
    out.register(NodeLabel(GatewayCollector(monitor, snapshot), monitor))
    if process:
        out.register(NodeLabel(ProcessCollector(registry=None), monitor))
    return out


def render(monitor: Monitor, snapshot: Any = None) -> bytes:
    return generate_latest(registry(monitor, snapshot, process=False))


class MetricsResource(JsonErrorsLeaf):
    """Another method is a JSON 405, a path below it a JSON 404."""

    def __init__(self, monitor: Monitor, auth: Any = None, snapshot: Any = None):
        super().__init__()
        self.monitor = monitor
        self.auth = auth  # an OpsAuth, or None: open
        self.registry = registry(monitor, snapshot)

    def render_GET(self, request):
        if self.auth is not None:
            from gateway.messages.errors import MORE_INFO, ApiError

            try:
                self.auth.check(request)
            except ApiError as error:
                request.setResponseCode(error.status)
                request.setHeader(b"content-type", b"application/json")
                if error.status == 401:
                    request.setHeader(b"www-authenticate", b'Basic realm="carrier-gateway ops"')
                return error.body(MORE_INFO)
        request.setHeader(b"content-type", CONTENT_TYPE)
        return generate_latest(self.registry)
