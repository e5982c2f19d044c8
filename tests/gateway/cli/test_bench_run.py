"""carrier-gateway bench as people run it: progress lines, the exit status and
the HTML report, against `carrier-gateway simulate smsc` over real TCP."""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def simulator(*argv: str) -> Iterator[str]:
    sim = subprocess.Popen([sys.executable, "-m", "gateway", "simulate", "smsc", "--port", "0",
                            *argv], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = sim.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        yield line.rsplit(":", 1)[1].split()[0]
    finally:
        sim.terminate()
        sim.wait(10)


def bench(port: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway", "bench", "--port", port, *argv],
                          capture_output=True, text=True, timeout=60)


def test_exits_non_zero_when_no_submit_is_accepted():
    with simulator("--behaviour", "error-on-submit") as port:
        out = bench(port, "--count", "50")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "no submit_sm was accepted" in out.stderr
    assert "ESME_RSYSERR 50" in out.stdout
    assert "None" not in out.stdout


def test_exits_non_zero_when_receipts_were_asked_and_none_matched():
    with simulator("--outcomes", "DELIVRD=1", "--receipt-delay", "30") as port:
        out = bench(port, "--count", "20", "--receipts", "--receipt-timeout", "1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "none matched" in out.stderr


def test_progress_lines_and_the_report(tmp_path: Path):
    report = tmp_path / "run.html"
    with simulator() as port:
        # 600 at 300/s takes two seconds: at least one progress line
        out = bench(port, "--count", "600", "--rate", "300", "--receipts",
                    "--progress", "always", "--report", str(report))
    assert out.returncode == 0, out.stderr
    progress = [line for line in out.stderr.splitlines() if "submit_sm/s  sent" in line]
    assert progress, out.stderr
    assert "receipts" in progress[-1] and "errors 0" in progress[-1]
    page = report.read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and "<polyline" in page and "<rect" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert f"report written to {report}" in out.stdout


def test_json_stays_quiet():
    with simulator() as port:
        out = bench(port, "--count", "300", "--rate", "200", "--json")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert out.stdout.count("\n") == 1
