"""The unchanged ``signalwire`` SDK against a live daemon (issue 14).

``signalwire`` 2.1.1 pins ``twilio==6.54.0`` and ``aiohttp==3.9.5``, so it
cannot be installed beside the suite's twilio 9.  It runs in its own
interpreter: set ``GATEWAY_SIGNALWIRE_PYTHON`` to a Python where it is
installed (``python -m venv /tmp/sw && /tmp/sw/bin/pip install signalwire``),
or install it into this one instead of twilio 9.  The client script
(``sdk_signalwire_client.py``) creates SMS and MMS, pages, fetches, redacts
and deletes through the SDK as shipped.  Without either, the test skips
saying so; SignalWire's ``/api/laml`` base is still driven by the twilio 9
SDK in test_sdk_twilio.py.
"""
from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.e2e.processes import ROOT, Process

SCRIPT = Path(__file__).with_name("sdk_signalwire_client.py")


def signalwire_python() -> str | None:
    configured = os.environ.get("GATEWAY_SIGNALWIRE_PYTHON")
    if configured:
        return configured
    return sys.executable if importlib.util.find_spec("signalwire") else None


def test_the_signalwire_sdk_sends_pages_redacts_and_deletes(tmp_path):
    python = signalwire_python()
    if python is None:
        pytest.skip("the signalwire SDK (2.1.1 pins twilio==6.54.0, which cannot be installed beside "
                    "twilio 9) is not installed: set GATEWAY_SIGNALWIRE_PYTHON to a Python that has it")
    proc = Process("run", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "var"))
    try:
        banner = proc.banner()
        sid = re.search(r"AccountSid (AC[0-9a-f]{32})", banner).group(1)
        token = re.search(r"AuthToken  ([0-9a-f]{32})", banner).group(1)
        base = re.search(r"'(http://127\.0\.0\.1:\d+)/api/2012-04-24/Accounts/", banner).group(1)
        run = subprocess.run([python, str(SCRIPT), base, sid, token], cwd=ROOT, capture_output=True,
                             text=True, timeout=180)
        assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stdout + run.stderr
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=60) == 0
    finally:
        proc.stop()
