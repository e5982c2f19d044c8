"""Benchmark the segmentation core: plan() throughput on realistic bodies.

    python benchmarks/bench_segmentation.py [--seconds 0.5]

Prints messages/s and microseconds per message for each body kind, then the
cost at growing lengths to show that it grows linearly (µs per character
stays flat).  One core, one process.  Time is the process's CPU time
(``time.process_time``), so other load on the machine does not inflate it;
the best of 5 timed runs is reported.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from segmentation import plan  # noqa: E402

SHORT_GSM = "Your verification code is 482913. It expires in 10 minutes. Do not share it."
GSM_160 = ("Hi Anna, your order #A-2291 has shipped and will arrive on Thursday between "
           "9am and 1pm. Track it at example.com/t/A2291, or reply STOP to opt out now. Thankyou")
GSM_LONG_UNIT = "Dear customer, your invoice for {May} is ready: total 42.50 EUR. "
EMOJI_UCS2 = "Party tonight \U0001F389\U0001F389 bring snacks \U0001F355 and drinks \U0001F37B! See you \U0001F600"
TURKISH = "G\u00fcnayd\u0131n! Sipari\u015finiz yola \u00e7\u0131kt\u0131, yar\u0131n teslim edilecek. \u0130yi g\u00fcnler."
LATIN_NATIONAL = frozenset({"tr", "es", "pt"})


def repeat_to(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def measure(body: str, seconds: float, **kw) -> float:
    """Best CPU seconds per plan() call over 5 runs of about ``seconds`` each."""
    plan(body, reference=1, **kw)
    n = 1
    while True:                              # calibrate the loop count
        start = time.process_time()
        for i in range(n):
            plan(body, reference=i, **kw)
        elapsed = time.process_time() - start
        if elapsed > seconds / 5:
            break
        n *= 2
    n = max(1, int(n * seconds / elapsed))
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for i in range(n):
            plan(body, reference=i, **kw)
        best = min(best, (time.process_time() - start) / n)
    return best


def row(label: str, body: str, seconds: float, **kw) -> str:
    per = measure(body, seconds, **kw)
    result = plan(body, reference=0, **kw)
    kind = result.encoding + (f"+{result.national_locking or '-'}/{result.national_single or '-'}"
                              if kw.get("national") else "")
    return (f"{label:<34} {len(body):>5} {kind:<12} {result.num_segments:>4} "
            f"{1 / per:>12,.0f} {per * 1e6:>9.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3, help="CPU time per run")
    args = parser.parse_args(argv)
    s = args.seconds
    print(f"Python {sys.version.split()[0]}, one core\n")
    assert len(GSM_160) == 160
    print(f"{'body':<34} {'chars':>5} {'encoding':<12} {'segs':>4} {'messages/s':>12} {'µs/msg':>9}")
    print(row("short GSM (OTP)", SHORT_GSM, s))
    print(row("160-char GSM", GSM_160, s))
    print(row("1,600-char GSM with { } escapes", repeat_to(GSM_LONG_UNIT, 1600), s))
    print(row("emoji-rich UCS-2", EMOJI_UCS2, s))
    print(row("1,600-char emoji-rich UCS-2", repeat_to(EMOJI_UCS2, 1600), s))
    print(row("Turkish, national tables on", TURKISH, s, national=LATIN_NATIONAL))
    print(row("1,600-char Turkish, tables on", repeat_to(TURKISH + " ", 1600), s,
              national=LATIN_NATIONAL))
    print(row("Turkish, tables off (UCS-2)", TURKISH, s))
    print("\nLinear growth (µs per character should stay flat):")
    print(f"{'length':>8} {'GSM µs/msg':>11} {'µs/char':>8} {'UCS-2 µs/msg':>13} {'µs/char':>8}")
    for length in (100, 200, 400, 800, 1600):
        gsm = measure(repeat_to(GSM_LONG_UNIT, length), s / 2)
        ucs = measure(repeat_to(EMOJI_UCS2, length), s / 2)
        print(f"{length:>8} {gsm * 1e6:>11.2f} {gsm * 1e6 / length:>8.4f} "
              f"{ucs * 1e6:>13.2f} {ucs * 1e6 / length:>8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
