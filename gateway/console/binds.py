"""Carrier and bind rows for the console, read from the live carrier objects.

An SMPP carrier shows one row per bind: state (up, binding, down) with the
reason and since when, window use, TPS in force against ``max_tps``, the
throttled and queue-full answers, the carrier's open refusal episodes, and
the last error.  An MM7 carrier shows only whether it is up.

``node`` is the node that holds the bind's slot: in a cluster, the owner
the store knows (``nodes.slots``, written by each live node's heartbeat:
``slot_owners``), None when no live node holds it; without shared slots
(SQLite, one node), this node.
"""
from __future__ import annotations

from typing import Any, Mapping

_EPISODE_NAMES = {0x58: "throttling", 0x14: "queue_full"}


def carrier_rows(carriers: dict[str, tuple[Any, str]], now: float, node: str,
                 owners: Mapping[str, Mapping[int, str]] | None = None) -> list[dict]:
    """``owners``: carrier -> slot -> node id (``slot_owners``), None when
    binds are not shared by slots (every bind is this ``node``'s)."""
    out = []
    for name, (carrier, protocol) in sorted(carriers.items()):
        row = {"name": name, "protocol": protocol, "up": bool(getattr(carrier, "is_up", False)),
               "binds": [], "episodes": _episodes(carrier, now)}
        for bind in getattr(carrier, "binds", None) or ():
            slot = getattr(bind, "slot", None)
            holder = node if owners is None else owners.get(name, {}).get(slot)
            row["binds"].append(dict(bind_row(carrier, bind, now, holder), slot=slot))
        out.append(row)
    return out


def bind_row(carrier: Any, bind: Any, now: float, node: str | None) -> dict:
    settings = carrier.settings
    protocol = bind.protocol
    stats = bind.stats
    state = getattr(bind, "state", "up" if bind.is_bound else "down")
    since = getattr(bind, "state_since", None)
    return {
        "name": bind.name, "kind": bind.kind, "node": node, "state": state,
        "reason": getattr(bind, "state_reason", None),
        "since": since, "for_seconds": None if since is None else round(now - since, 1),
        "window": settings.window,
        "window_used": protocol.outstanding if protocol is not None else 0,
        "tps_limit": bind.rate.limit, "max_tps": settings.max_tps or None,
        "throttled": stats.throttled, "queue_full": stats.queue_full,
        "throttling_events": bind.rate.throttled_events,
        "accepted": stats.accepted, "rejected": stats.rejected, "timeouts": stats.timeouts,
        "latency_p50": stats.latency.quantile(0.5), "latency_p99": stats.latency.quantile(0.99),
        "last_error": bind.last_error,
    }


def _episodes(carrier: Any, now: float) -> list[dict]:
    refusals = getattr(carrier, "refusals", None)
    out = []
    for status, episode in sorted(getattr(refusals, "episodes", {}).items()):
        if episode.active:
            out.append({"kind": _EPISODE_NAMES.get(status, hex(status)),
                        "for_seconds": round(now - episode.started, 1), "refusals": episode.refusals,
                        "failed": episode.failed})
    return out


def latency_percentiles(carriers: dict[str, tuple[Any, str]]) -> dict:
    """Submit latency p50/p90/p99 over every bind (bucket upper bounds, seconds)."""
    from gateway.carriers.smpp.stats import LatencyHistogram

    merged = LatencyHistogram()
    for carrier, _protocol in carriers.values():
        for bind in getattr(carrier, "binds", None) or ():
            h = bind.stats.latency
            merged.counts = [a + b for a, b in zip(merged.counts, h.counts)]
            merged.count += h.count
            merged.sum += h.sum
    return {"count": merged.count, "p50": merged.quantile(0.5), "p90": merged.quantile(0.9),
            "p99": merged.quantile(0.99)}
