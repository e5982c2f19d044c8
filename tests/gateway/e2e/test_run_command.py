"""`carrier-gateway run` as operators run it: config errors refuse to start;
the demo prints credentials and a curl, the message reaches `delivered`,
sd_notify says READY/STOPPING, SIGTERM drains and exits 0."""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request

from .processes import ROOT, CallbackServer, Process


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "gateway", "run", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, **kw)


def test_config_error_names_file_and_key_and_refuses_to_start(tmp_path):
    bad = tmp_path / "gw.toml"
    bad.write_text('[[carriers]]\nname = "a"\nhost = "h"\nport = 2775\nsystem_id = "s"\nwindow = 0\n')
    result = run("--config", str(bad))
    assert result.returncode == 2
    assert f"{bad}: carriers[0] 'a'.window: must be at least 1" in result.stderr


def test_shipped_config_checks_ok():
    result = run("--config", "conf/gateway.toml", "--check")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def _request(url, auth, data=None):
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data else None)
    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_demo_sends_a_message_to_delivered_and_stops_cleanly(tmp_path):
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(20)
    callbacks = CallbackServer()
    proc = Process("run", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "var"),
                   env=dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify")))
    try:
        assert notify.recv(4096).decode().startswith("READY=1")
        banner = proc.banner()
        sid = re.search(r"AccountSid (AC[0-9a-f]{32})", banner).group(1)
        token = re.search(r"AuthToken  ([0-9a-f]{32})", banner).group(1)
        api = re.search(r"'(http://127\.0\.0\.1:\d+/api/2012-04-24/Accounts/AC[0-9a-f]+)/Messages\.json'",
                        banner).group(1)
        assert "--data-urlencode 'from=sms:+15005550006'" in banner
        assert token not in "".join(l for l in banner.splitlines() if " INFO " in l)  # never logged
        message = _request(api + "/Messages.json", f"{sid}:{token}",
                           {"from": "sms:+15005550006", "to": "sms:+15005551234", "body": "hi",
                            "status_callback": callbacks.url})
        callbacks.wait_status(message["sid"], ("delivered", "undelivered", "failed"))
        message = _request(f"{api}/Messages/{message['sid']}.json", f"{sid}:{token}")
        assert message["status"] == "delivered", message
        mark = len(proc.lines)
        proc.proc.send_signal(signal.SIGTERM)
        assert notify.recv(4096).decode() == "STOPPING=1"
        assert proc.proc.wait(timeout=30) == 0
        proc.reader.join(5)
        rest = "".join(proc.lines[mark:])
        assert "carrier-gateway stopped" in rest and "Traceback" not in rest
    finally:
        proc.stop()
        callbacks.close()
        notify.close()


def test_sighup_reloads_accounts_without_restart(tmp_path):
    conf = tmp_path / "gw.toml"
    body = (f'[api]\nlisten = "127.0.0.1:0"\n[store]\nurl = "sqlite:///{tmp_path}/gw.db"\n'
            '[[accounts]]\nsid = "AC1"\nauth_token = "one"\n'
            '[[carriers]]\nname = "c"\nhost = "127.0.0.1"\nport = 9\nsystem_id = "s"\nroutes = ["+"]\n')
    conf.write_text(body)
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "run", "--config", str(conf)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        while port is None:
            line = proc.stdout.readline()
            assert line
            match = re.search(r"API listening on 127\.0\.0\.1:(\d+)", line)
            port = match and int(match.group(1))
        api = f"http://127.0.0.1:{port}/api/2012-04-24/Accounts"
        assert _request(f"{api}/AC1/Messages.json", "AC1:one")["messages"] == []
        conf.write_text(body + '[[accounts]]\nsid = "AC2"\nauth_token = "two"\n')
        proc.send_signal(signal.SIGHUP)
        while "SIGHUP: reloaded" not in proc.stdout.readline():
            pass
        assert _request(f"{api}/AC2/Messages.json", "AC2:two")["messages"] == []
        conf.write_text("[[accounts]\n")  # broken: kept running on the old config
        proc.send_signal(signal.SIGHUP)
        line = proc.stdout.readline()
        while "SIGHUP" not in line:
            line = proc.stdout.readline()
        assert "config not reloaded" in line and "TOML syntax error" in line
        assert _request(f"{api}/AC2/Messages.json", "AC2:two")["messages"] == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
