"""systemd/carrier-gateway.service: the directives operators rely on, and
``systemd-analyze verify`` (when installed) finds nothing to say about it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from gateway.config import model as config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "systemd", "carrier-gateway.service")


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2).strip())
    return found


@pytest.fixture(scope="module")
def unit():
    with open(UNIT, encoding="utf-8") as f:
        return f.read()


def test_notify_watchdog_reload_and_stop(unit):
    d = directives(unit)
    assert d["Type"] == ["notify"] and d["NotifyAccess"] == ["main"]
    assert int(d["WatchdogSec"][0]) > 0
    assert re.search(r"carrier-gateway run --config \S+", d["ExecStart"][0])
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert d["KillSignal"] == ["SIGTERM"]
    # SIGTERM to the daemon only: it drains, then closes its store.
    assert d["KillMode"] == ["mixed"]
    # The stop timeout leaves room for the longest drain of the shipped config.
    shipped = config.load(os.path.join(ROOT, "conf", "gateway.toml"))
    drains = [c.smpp.drain_timeout for c in shipped.carriers if c.smpp is not None]
    assert int(d["TimeoutStopSec"][0]) >= max(drains) + 5


def test_dedicated_user_and_hardening(unit):
    d = directives(unit)
    assert d["User"] == ["carrier-gateway"] and d["Group"] == ["carrier-gateway"]
    assert d["StateDirectory"] == ["carrier-gateway"]
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes",
                       "CapabilityBoundingSet": ""}.items():
        assert d[key] == [value], key
    # The shipped SQLite store lives in the StateDirectory, the one writable place.
    assert "/var/lib/carrier-gateway/" in config.load(os.path.join(ROOT, "conf", "gateway.toml")).store.url


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_is_silent(unit, tmp_path):
    # verify wants ExecStart to exist: point it at this environment's entry point.
    script = os.path.join(os.path.dirname(sys.executable), "carrier-gateway")
    if not os.access(script, os.X_OK):
        pytest.skip("carrier-gateway entry point not installed next to the interpreter")
    copy = tmp_path / "carrier-gateway.service"
    copy.write_text(unit.replace("/usr/local/bin/carrier-gateway", script))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), \
        result.stdout + result.stderr
