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
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.e2e.processes import ROOT, demo_daemon

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
    with demo_daemon(tmp_path / "var") as demo:
        run = subprocess.run([python, str(SCRIPT), demo.base, demo.sid, demo.token], cwd=ROOT,
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stdout + run.stderr
