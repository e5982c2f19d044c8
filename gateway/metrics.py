"""``GET /metrics``: Prometheus text exposition (format 0.0.4).

Everything is read from objects the daemon already keeps (the monitor's
store snapshot, each SMPP bind's counters and latency histogram, the
dispatcher's, callback sender's and deliver handler's ``stats``), so a
scrape costs no SQL and no locks.

With ``[ops] metrics_auth = true`` a scrape needs the [ops] credentials
(HTTP Basic): without them 401, over the failure budget 429, both with the
API's JSON error body.
"""
from __future__ import annotations

from typing import Any, Iterable

from gateway.api.pages import JsonErrorsLeaf
from gateway.health import Monitor

PREFIX = "carrier_gateway"
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"

# Per-bind counters of gateway.smpp.stats.BindStats, as Prometheus counters.
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


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: Any) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


class Exposition:
    """Samples grouped by family (the text format wants each family in one block)."""

    def __init__(self):
        self._families: dict[str, tuple[str, str, list[str]]] = {}

    def declare(self, family: str, kind: str, help_text: str) -> list[str]:
        if family not in self._families:
            self._families[family] = (kind, help_text, [])
        return self._families[family][2]

    def metric(self, name: str, kind: str, help_text: str, value: float, **labels: Any) -> None:
        full = f"{PREFIX}_{name}"
        family = full[: -len("_bucket")] if kind == "histogram" and full.endswith("_bucket") else full
        self.sample(family, kind, help_text, full, value, labels)

    def sample(self, family: str, kind: str, help_text: str, full: str, value: float,
               labels: dict) -> None:
        self.declare(family, kind, help_text).append(f"{full}{_labels(**labels)} {_number(value)}")

    def text(self) -> bytes:
        lines = []
        for family, (kind, help_text, samples) in self._families.items():
            lines.append(f"# HELP {family} {help_text}")
            lines.append(f"# TYPE {family} {kind}")
            lines.extend(samples)
        return ("\n".join(lines) + "\n").encode("utf-8")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def render(monitor: Monitor) -> bytes:
    out = Exposition()
    for status, count in sorted(monitor.by_status.items()):
        out.metric("messages", "gauge", "Messages in the store by status.", count, status=status)
    out.metric("queue_depth", "gauge", "Messages queued or being sent.", monitor.queue_depth)
    for name, (carrier, protocol) in sorted(monitor.carriers.items()):
        out.metric("carrier_up", "gauge", "1 when the carrier can take messages.",
                   int(bool(getattr(carrier, "is_up", False))), carrier=name, protocol=protocol)
        stats = getattr(carrier, "stats", None)
        if protocol == "smpp" and isinstance(stats, dict):
            _binds(out, name, stats)
    for source, get in sorted(monitor.sources.items()):
        for key, value in sorted(get().items()):
            if isinstance(value, (int, float)):
                out.metric(f"{source}_{key}_total", "counter", f"{source}: {key.replace('_', ' ')}.", value)
    return out.text()


def _binds(out: Exposition, carrier: str, stats: dict) -> None:
    for bind, b in sorted(stats.items()):
        labels = {"carrier": carrier, "bind": bind}
        out.metric("bind_up", "gauge", "1 when the SMPP bind is bound.", int(bool(b.get("bound"))), **labels)
        out.metric("window_size", "gauge", "Outstanding requests allowed per bind.", b.get("window", 0), **labels)
        out.metric("window_used", "gauge", "Requests awaiting a response on the bind.",
                   b.get("window_used", 0), **labels)
        out.metric("throttling_events_total", "counter", "Adaptive slow-downs after ESME_RTHROTTLED.",
                   b.get("throttling_events", 0), **labels)
        for key, help_text in _BIND_COUNTERS.items():
            if key in b:
                out.metric(f"smpp_{key}_total", "counter", f"SMPP {help_text}.", b[key], **labels)
        _histogram(out, b.get("latency_buckets") or (), b.get("latency_sum", 0.0),
                   b.get("latency_count", 0), labels)


def _histogram(out: Exposition, buckets: Iterable[tuple[str, int]], total: float, count: int,
               labels: dict) -> None:
    family = f"{PREFIX}_submit_latency_seconds"
    help_text = "submit_sm to submit_sm_resp latency."
    for le, n in buckets:
        out.sample(family, "histogram", help_text, family + "_bucket", n, dict(labels, le=le))
    out.sample(family, "histogram", help_text, family + "_sum", float(total), labels)
    out.sample(family, "histogram", help_text, family + "_count", count, labels)


class MetricsResource(JsonErrorsLeaf):
    """Another method is a JSON 405, a path below it a JSON 404."""

    def __init__(self, monitor: Monitor, auth: Any = None):
        super().__init__()
        self.monitor = monitor
        self.auth = auth  # an OpsAuth, or None: open

    def render_GET(self, request):
        if self.auth is not None:
            from gateway.api.errors import MORE_INFO, ApiError

            try:
                self.auth.check(request)
            except ApiError as error:
                request.setResponseCode(error.status)
                request.setHeader(b"content-type", b"application/json")
                if error.status == 401:
                    request.setHeader(b"www-authenticate", b'Basic realm="carrier-gateway ops"')
                return error.body(MORE_INFO)
        request.setHeader(b"content-type", CONTENT_TYPE)
        return render(self.monitor)
