"""The console's summary (``/console/api/summary``) as terminal text, for
``carrier-gateway status``.  Pure: a dict in, a string out."""
from __future__ import annotations

from typing import Any


def _age(seconds: Any) -> str:
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _ms(seconds: Any) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}ms"


def _bind_line(b: dict) -> str:
    tps = "unlimited" if b["tps_limit"] is None else f"{b['tps_limit']:.1f}"
    cap = "none" if b["max_tps"] is None else f"{b['max_tps']:g}"
    state = b["state"] + (f" ({b['reason']})" if b.get("reason") and b["state"] != "up" else "")
    line = (f"    {b['name']:<16} {b['kind']:<12} {state:<28} for {_age(b['for_seconds']):>5}  "
            f"window {b['window_used']}/{b['window']}  tps {tps}/{cap}  "
            f"throttled {b['throttled']}  queue-full {b['queue_full']}  node {b['node'] or '-'}")
    if b.get("last_error"):
        line += f"\n      last error: {b['last_error']}"
    return line


def render(summary: dict) -> str:
    lines = [f"node {summary['node']}"]
    lines.append("carriers:")
    for c in summary["carriers"]:
        lines.append(f"  {c['name']} ({c['protocol']}) {'up' if c['up'] else 'DOWN'}")
        for e in c.get("episodes", ()):
            lines.append(f"    {e['kind']} episode for {_age(e['for_seconds'])}: {e['refusals']} refusals, "
                         f"{e['failed']} failed")
        lines.extend(_bind_line(b) for b in c["binds"])
    rates = "  ".join(f"{k} {v:g}" for k, v in summary["rates"].items())
    lines.append(f"rates (per second, last minute): {rates}")
    lat = summary["latency"]
    lines.append(f"submit latency: p50 {_ms(lat['p50'])}  p90 {_ms(lat['p90'])}  p99 {_ms(lat['p99'])}"
                 f"  ({lat['count']} submits)")
    r = summary["receipts"]
    lines.append(f"receipts: matched {r['matched']}  waiting {r['waiting']}  unmatched {r['unmatched']}")
    q = summary["queue"]
    lines.append(f"queue: depth {q['depth']} (queued {q['queued']}, sending {q['sending']})  "
                 f"oldest {_age(q['oldest_age'])}")
    cb = summary["callbacks"]
    lines.append(f"callbacks: backlog {cb['backlog']}  dead {cb['dead']}  sent {cb['sent']}  "
                 f"retried {cb['retried']}")
    for e in cb["failing_endpoints"]:
        lines.append(f"  failing: {e['url']}  {e['count']} callbacks  last error {e['last_error'] or '-'}")
    return "\n".join(lines) + "\n"
