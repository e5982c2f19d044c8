"""The SMSC simulator in its own process, as the benchmarks start it."""
from __future__ import annotations

import subprocess
import sys
import time


def start_simulator() -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "simulate", "smsc", "--port", "0", "--window", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        for word in line.replace(",", " ").split():
            if word.startswith("127.0.0.1:") and word.split(":")[1].isdigit():
                return proc, int(word.split(":")[1])
        if "port" in line.lower():
            digits = [w for w in line.replace(":", " ").split() if w.isdigit()]
            if digits:
                return proc, int(digits[-1])
    proc.kill()
    raise SystemExit("the SMSC simulator did not start")
