"""``bench --report FILE.html``: one self-contained page for a carrier ticket.

The page holds the run's summary, its throughput over time (answered
submit_sm/s and receipts/s per sample interval) and its response latency
histogram, both as inline SVG: no script, no stylesheet link, no font
download, so it opens the same from a mail attachment.  Latency buckets are
logarithmic (four per decade) because SMSC latencies span 0.1 ms to seconds.
"""
from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable, Sequence

from gateway.simulators.bench.progress import Sample, per_second

_W, _H, _PAD = 720, 220, 40
_BUCKETS_PER_DECADE = 4
_STYLE = "body{font:14px sans-serif;margin:2em}th{text-align:left;padding-right:1em}"


def latency_histogram(latencies_s: Iterable[float]) -> list[tuple[float, float, int]]:
    """(low_ms, high_ms, count) per logarithmic bucket, empty ends trimmed."""
    counts: dict[int, int] = {}
    for seconds in latencies_s:
        ms = max(seconds * 1000.0, 1e-3)
        index = math.floor(math.log10(ms) * _BUCKETS_PER_DECADE)
        counts[index] = counts.get(index, 0) + 1
    if not counts:
        return []
    edge = lambda i: round(10 ** (i / _BUCKETS_PER_DECADE), 4)  # noqa: E731
    return [(edge(i), edge(i + 1), counts.get(i, 0))
            for i in range(min(counts), max(counts) + 1)]


def throughput_series(samples: Sequence[Sample]) -> list[tuple[float, float, float]]:
    """(t, submit_sm/s, receipts/s) for each interval between two samples."""
    return [(b.t, *per_second(a, b)) for a, b in zip(samples, samples[1:])]


def _polyline(points: list[tuple[float, float]], x_max: float, y_max: float,
              colour: str) -> str:
    scale_x = (_W - 2 * _PAD) / (x_max or 1.0)
    scale_y = (_H - 2 * _PAD) / (y_max or 1.0)
    coords = " ".join(f"{_PAD + x * scale_x:.1f},{_H - _PAD - y * scale_y:.1f}"
                      for x, y in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'


def _axes(x_label: str, y_label: str, y_max: float) -> str:
    return (f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" '
            f'stroke="#444"/><line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" '
            f'stroke="#444"/><text x="{_W / 2}" y="{_H - 8}" text-anchor="middle">'
            f'{escape(x_label)}</text><text x="4" y="{_PAD - 10}">{escape(y_label)} '
            f'(max {y_max:,.0f})</text>')


def throughput_svg(samples: Sequence[Sample]) -> str:
    series = throughput_series(samples)
    if not series:
        return "<p>No throughput samples (the run took less than one interval).</p>"
    x_max = series[-1][0]
    y_max = max(max(s, r) for _, s, r in series) or 1.0
    lines = _polyline([(t, s) for t, s, _ in series], x_max, y_max, "#1f6feb")
    if any(r for _, _, r in series):
        lines += _polyline([(t, r) for t, _, r in series], x_max, y_max, "#d97706")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
            f'role="img" aria-label="throughput over time">'
            f'{_axes("seconds", "per second", y_max)}{lines}</svg>'
            '<p><span style="color:#1f6feb">submit_sm answered/s</span> · '
            '<span style="color:#d97706">receipts/s</span></p>')


def histogram_svg(buckets: list[tuple[float, float, int]]) -> str:
    if not buckets:
        return "<p>No responses, so no latency histogram.</p>"
    top = max(count for _, _, count in buckets)
    width = (_W - 2 * _PAD) / len(buckets)
    bars = []
    for i, (low, high, count) in enumerate(buckets):
        h = (_H - 2 * _PAD) * count / top
        x = _PAD + i * width
        bars.append(f'<rect x="{x:.1f}" y="{_H - _PAD - h:.1f}" width="{width - 2:.1f}" '
                    f'height="{h:.1f}" fill="#1f6feb"><title>{low:g}–{high:g} ms: '
                    f'{count}</title></rect>')
        if i % max(1, len(buckets) // 8) == 0:
            bars.append(f'<text x="{x:.1f}" y="{_H - _PAD + 14}" font-size="11">'
                        f'{low:g}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
            f'role="img" aria-label="latency histogram">'
            f'{_axes("latency, ms (log buckets)", "responses", top)}{"".join(bars)}</svg>')


def render(result: dict[str, Any], samples: Sequence[Sample],
           latencies_s: Iterable[float], title: str) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
                   for k, v in result.items() if k != "binds")
    return ("<!doctype html><html><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>" + _STYLE + "</style></head><body>"
            f"<h1>{escape(title)}</h1><table>{rows}</table>"
            f"<h2>Throughput over time</h2>{throughput_svg(samples)}"
            f"<h2>Response latency</h2>{histogram_svg(latency_histogram(latencies_s))}"
            "</body></html>\n")
