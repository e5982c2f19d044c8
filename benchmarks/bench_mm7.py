"""Benchmark building an MM7 SubmitReq (zeep envelope + the email package's
MIME) and reading a DeliverReq back.

    python benchmarks/bench_mm7.py [--seconds 0.5]

Prints milliseconds per SubmitReq for a text-only MMS and for one with a
300 KB picture, and per DeliverReq read.  One core, one process; CPU time
(``time.process_time``), best of 5 timed runs, so other load on the machine
inflates it little.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from protocols.mm7.content import MediaItem  # noqa: E402
from protocols.mm7.envelope import Dialect  # noqa: E402
from protocols.mm7.messages import read_submit_request  # noqa: E402
from protocols.mm7.parse import read_envelope  # noqa: E402
from protocols.mm7.submit import SubmitRequest, build_submit  # noqa: E402


def best(fn, seconds: float) -> float:
    """Best CPU seconds per call over 5 runs of about ``seconds`` each."""
    fn()
    n, start = 1, time.process_time()
    while time.process_time() - start < seconds / 5:
        fn()
        n += 1
    runs = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(n):
            fn()
        runs.append((time.process_time() - start) / n)
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    picture = random.Random(1).randbytes(300 * 1024)
    for label, media in (("text only", ()), ("300 KB picture", (MediaItem("image/jpeg", picture),))):
        req = SubmitRequest("+15550001111", ("+15552223333",), "hello there", media)
        build = lambda: build_submit(req, Dialect(), "t", "boundary")  # noqa: E731
        ctype, body = build()
        read = lambda: read_submit_request(read_envelope(ctype, body))  # noqa: E731
        print(f"SubmitReq {label:15s} build {best(build, args.seconds) * 1e3:7.2f} ms"
              f"   read {best(read, args.seconds) * 1e3:7.2f} ms   ({len(body)} bytes)")


if __name__ == "__main__":
    main()
