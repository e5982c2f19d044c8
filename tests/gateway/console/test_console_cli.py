"""``carrier-gateway status``, ``messages show`` and ``console hash-password``
as an operator runs them, against a live daemon and SMSC simulator."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gateway.console.passwords import verify_password
from tests.gateway.e2e.processes import ROOT

from .live import ACCOUNT, OPERATOR, PASSWORD, TOKEN, Live


def cli(*args: str, env: dict | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway", *args], cwd=ROOT, input=stdin, text=True,
                          capture_output=True, timeout=60, env=dict(os.environ, **(env or {})))


@pytest.fixture
def live(tmp_path):
    running = Live(tmp_path).start()
    yield running
    running.stop()


def test_status_and_messages_show(live, tmp_path):
    sid = live.send(body="x" * 200)["sid"]
    operator = {"CARRIER_GATEWAY_CONSOLE_USER": OPERATOR, "CARRIER_GATEWAY_CONSOLE_PASSWORD": PASSWORD}
    done = None
    for _ in range(200):  # bounded: each round is one real request, no sleep
        shown = cli("messages", "show", sid, "--config", live.config, "--json")
        assert shown.returncode == 0, shown.stderr
        done = json.loads(shown.stdout)
        if done["status"] in ("delivered", "undelivered") and len(done["parts"]) == 2:
            break
    assert done["status"] in ("delivered", "undelivered") and done["sid"] == sid
    assert [p["seqno"] for p in done["parts"]] == [1, 2] and all(p["smsc_message_id"] for p in done["parts"])
    text = cli("messages", "show", sid, "--config", live.config)
    assert text.returncode == 0 and sid in text.stdout and "smsc id" in text.stdout
    assert "stat DELIVRD" in text.stdout or "stat UNDELIV" in text.stdout
    assert cli("messages", "show", "SMnothing", "--config", live.config).returncode == 1

    status = cli("status", "--url", live.url, env=operator)
    assert status.returncode == 0, status.stderr
    assert "sim (smpp) up" in status.stdout and "sim-1" in status.stdout and "queue: depth" in status.stdout
    assert "callbacks: backlog" in status.stdout and "rates (per second" in status.stdout
    as_json = json.loads(cli("status", "--url", live.url, "--json", env=operator).stdout)
    assert as_json["carriers"][0]["binds"][0]["state"] == "up"
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n")
    assert cli("status", "--url", live.url, "--user", OPERATOR, "--password-file", str(password_file)
               ).returncode == 0
    wrong = cli("status", "--url", live.url, env=dict(operator, CARRIER_GATEWAY_CONSOLE_PASSWORD="no"))
    assert wrong.returncode == 1 and "401" in wrong.stderr
    token = cli("status", "--url", live.url, env={"CARRIER_GATEWAY_CONSOLE_USER": ACCOUNT,
                                                  "CARRIER_GATEWAY_CONSOLE_PASSWORD": TOKEN})
    assert token.returncode == 1 and "401" in token.stderr


def test_status_unreachable_and_hash_password():
    gone = cli("status", "--url", "http://127.0.0.1:1", env={"CARRIER_GATEWAY_CONSOLE_PASSWORD": "x"})
    assert gone.returncode == 2 and "cannot reach" in gone.stderr
    made = cli("console", "hash-password", stdin="hunter2\n")
    assert made.returncode == 0 and verify_password("hunter2", made.stdout.strip())
    assert not verify_password("hunter3", made.stdout.strip())
    assert cli("console", "hash-password", stdin="\n").returncode == 1
