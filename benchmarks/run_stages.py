"""The real-path run cut into stages: is anything costing in proportion to the backlog?

``stages(timeline, parts)`` splits a run's per-second samples (each with
``final``, the daemon's cumulative ``daemon_cpu_s`` and its ``daemon_rss_mb``)
into ``parts`` stages of equally many final messages, and gives for each
the messages finished in it, their rate, the daemon's CPU per message
spent in it and its RSS at the stage's end.  Flat CPU and RSS from the
first stage to the last is what issue 17 asks of a 200,000-message run.
"""
from __future__ import annotations


def stages(timeline: list[dict], parts: int = 5) -> list[dict]:
    samples = [s for s in timeline if "daemon_cpu_s" in s]
    if not samples or samples[-1]["final"] == 0:
        return []
    total = samples[-1]["final"]
    ends = []
    for k in range(1, parts + 1):
        end = next(s for s in samples if s["final"] >= total * k / parts)
        if not ends or end is not ends[-1]:
            ends.append(end)
    # A stage of a few stragglers (the last second of a short run) joins the one before it.
    small = total / (4 * parts)
    merged = [e for i, e in enumerate(ends)
              if i == len(ends) - 1 or ends[i + 1]["final"] - e["final"] >= small]
    out, previous = [], {"t": 0.0, "final": 0, "daemon_cpu_s": 0.0}
    for end in merged:
        done, seconds = end["final"] - previous["final"], end["t"] - previous["t"]
        out.append({"until": end["final"], "messages": done,
                    "msg_per_s": round(done / seconds, 1) if seconds > 0 else None,
                    "daemon_cpu_ms_per_msg": round(
                        (end["daemon_cpu_s"] - previous["daemon_cpu_s"]) / done * 1000, 3),
                    "daemon_rss_mb": end["daemon_rss_mb"]})
        previous = end
    return out


def human(rows: list[dict]) -> str:
    return "\n".join(
        f"    up to {r['until']:>8,} final: {r['msg_per_s'] or 0:7,.0f} msg/s, daemon "
        f"{r['daemon_cpu_ms_per_msg']:.2f} ms CPU per message, RSS {r['daemon_rss_mb']:.0f} MB"
        for r in rows)
