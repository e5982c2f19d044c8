"""`carrier-gateway run --config FILE` as an operator runs it, against a
separately started `carrier-gateway simulate smsc`: a message reaches
`delivered` with its status callbacks, SIGHUP reloads without dropping a
bind, SIGTERM unbinds and exits 0, and no log line holds the SMPP password
or an auth token (debug level, so the most verbose output is checked)."""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ACCOUNT, TOKEN = "AC" + "1" * 32, "tok-Q7vLx2mZ"
PASSWORD = "Pw9kR2x"  # SMPP passwords are at most 8 characters
SECRETS = (PASSWORD, TOKEN, base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode())


class Process:
    """A child process whose output lines are collected by a thread."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway", *args], cwd=ROOT,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = 20.0, start: int = 0) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = self.proc.poll() is not None and not self.reader.is_alive()
            for line in self.lines[start:]:
                match = re.search(pattern, line)
                if match:
                    return match
            if ended:  # and every line was read before this scan
                break
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen in:\n{''.join(self.lines)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)

    @property
    def output(self) -> str:
        return "".join(self.lines)


class Callbacks(BaseHTTPRequestHandler):
    received: list = []

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        self.received.append({k: v[-1] for k, v in query.items()})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _api(port, path, data=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/2012-04-24/Accounts/{ACCOUNT}{path}",
                                     data=urllib.parse.urlencode(data).encode() if data else None)
    request.add_header("Authorization", "Basic " + SECRETS[2])
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:  # 503 while a bind is down
        return json.loads(e.read())


def _eventually(fetch, ok, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not ok(value := fetch()):
        assert time.monotonic() < deadline, value
        time.sleep(0.05)
    return value


def _config(db, smsc_port, route):
    # [api] listen is overridden by run --listen (port 0): a reload keeps the override.
    return (f'[api]\nlisten = "127.0.0.1:8080"\n[store]\nurl = "sqlite:///{db}"\n'
            '[pipeline]\npoll_interval = 0.2\n[callbacks]\npoll_interval = 0.1\n'
            f'[[accounts]]\nsid = "{ACCOUNT}"\nauth_token = "{TOKEN}"\n'
            f'[[carriers]]\nname = "smsc"\nprotocol = "smpp"\nhost = "127.0.0.1"\nport = {smsc_port}\n'
            f'system_id = "gw"\npassword = "{PASSWORD}"\nbind = "transceiver"\nbinds = 2\n'
            f'window = 10\nmax_tps = 100\nregistered_delivery = true\nroutes = ["{route}"]\n')


def _send_and_deliver(port, callback_url, to):
    message = _api(port, "/Messages.json", {"from": "sms:+15005550006", "to": f"sms:{to}",
                                            "body": "hello", "status_callback": callback_url})
    _eventually(lambda: _api(port, f"/Messages/{message['sid']}.json"),
                lambda m: m["status"] == "delivered")
    return message["sid"]


def test_configured_daemon_against_a_separate_simulator(tmp_path):
    Callbacks.received = []
    web = ThreadingHTTPServer(("127.0.0.1", 0), Callbacks)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    callback_url = f"http://127.0.0.1:{web.server_address[1]}/status"
    smsc = Process("simulate", "smsc", "--port", "0", "--account", f"gw:{PASSWORD}",
                   "--receipt-delay", "0.05", "--stats-every", "0.1")
    gateway = None
    try:
        smsc_port = int(smsc.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1))
        conf = tmp_path / "gateway.toml"
        conf.write_text(_config(tmp_path / "gw.db", smsc_port, "+1"))
        gateway = Process("run", "--config", str(conf), "--listen", "127.0.0.1:0", "--log-level", "debug")
        port = int(gateway.wait_for(r"API listening on 127\.0\.0\.1:(\d+)").group(1))
        _eventually(lambda: _health(port), lambda h: h["carriers"]["smsc"]["binds_up"] == 2)

        first = _send_and_deliver(port, callback_url, "+14155550100")
        _eventually(lambda: [c["MessageStatus"] for c in Callbacks.received if c["MessageSid"] == first],
                    lambda statuses: statuses == ["sending", "sent", "delivered"])

        # SIGHUP: a new route; the two binds stay (the simulator sees no new bind).
        conf.write_text(_config(tmp_path / "gw.db", smsc_port, "+44"))
        mark = len(gateway.lines)
        gateway.proc.send_signal(signal.SIGHUP)
        gateway.wait_for(r"SIGHUP: reloaded", start=mark)
        assert "needs a restart" not in "".join(gateway.lines[mark:])  # routes apply live
        _send_and_deliver(port, callback_url, "+447700900123")
        assert _health(port)["carriers"]["smsc"]["binds_up"] == 2
        stats = json.loads(smsc.wait_for(r"^(\{.*\})$", start=len(smsc.lines)).group(1))
        assert stats["binds"] == 2 and stats["connections"] == 2

        # SIGTERM: drain, unbind both sessions, exit 0.
        gateway.proc.send_signal(signal.SIGTERM)
        assert gateway.proc.wait(timeout=30) == 0
        gateway.reader.join(5)
        assert len(re.findall(r"bind smsc-\d unbound", gateway.output)) == 2, gateway.output
        assert "carrier-gateway stopped" in gateway.output
        stats = json.loads(smsc.wait_for(r'^(\{"connections": 0.*\})$', start=len(smsc.lines)).group(1))
        assert stats["bind_refusals"] == 0
        for secret in SECRETS:
            assert secret not in gateway.output
    finally:
        if gateway is not None:
            gateway.stop()
        smsc.stop()
        web.shutdown()
        web.server_close()
