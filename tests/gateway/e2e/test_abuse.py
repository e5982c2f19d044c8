"""A real daemon under abuse: wrong passwords run out of budget (429 with
Retry-After, a counted log line, never the password), /metrics and /health
details behind the [ops] credentials, and a client trickling its headers
cut off at the header deadline."""
from __future__ import annotations

import base64
import json
import re
import signal
import socket
import urllib.error
import urllib.request

from .processes import Process

ACCOUNT, TOKEN = "AC" + "7" * 32, "tok-Hx81"
WRONG = "guess-Zq93"
OPS = ("ops", "ops-pw-K2")


def _config(tmp_path) -> str:
    conf = tmp_path / "gw.toml"
    conf.write_text(f'[api]\nlisten = "127.0.0.1:0"\nheader_timeout = 1\nauth_max_failures_per_ip = 3\n'
                    'auth_failure_window = 300\n'
                    f'[store]\nurl = "sqlite:///{tmp_path}/gw.db"\n'
                    f'[ops]\nusername = "{OPS[0]}"\npassword = "{OPS[1]}"\nmetrics_auth = true\n'
                    'health_details_auth = true\n'
                    f'[[accounts]]\nsid = "{ACCOUNT}"\nauth_token = "{TOKEN}"\n'
                    '[[carriers]]\nname = "c"\nhost = "127.0.0.1"\nport = 9\nsystem_id = "s"\nroutes = ["+"]\n')
    return str(conf)


def _get(port, path, auth=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_daemon_under_abuse(tmp_path):
    proc = Process("run", "--config", _config(tmp_path))
    try:
        port = int(proc.wait_for(r"API listening on 127\.0\.0\.1:(\d+)").group(1))
        status, _, body = _get(port, "/health")
        assert status == 503 and json.loads(body) == {"status": "down"}  # open, status only
        status, _, body = _get(port, "/health", OPS)
        assert "carriers" in json.loads(body)
        status, headers, _ = _get(port, "/metrics")
        assert status == 401 and "Basic" in headers["WWW-Authenticate"]
        status, _, body = _get(port, "/metrics", OPS)
        assert status == 200
        assert re.search(rb'^carrier_gateway_api_auth_failures_total\{node="[^"]+"\} 0', body, re.M)

        messages = f"/api/2012-04-24/Accounts/{ACCOUNT}/Messages.json"
        assert _get(port, messages, (ACCOUNT, TOKEN))[0] == 200
        for _ in range(3):
            assert _get(port, messages, (ACCOUNT, WRONG))[0] == 401
        status, headers, body = _get(port, messages, (ACCOUNT, TOKEN))
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert json.loads(body)["code"] == 20429
        proc.wait_for(r"1 failed authentication attempts .*from 127\.0\.0\.1")

        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            slow.sendall(b"GET /health HTTP/1.1\r\n")  # and never the rest
            answer = slow.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 ")
        proc.wait_for(r"too slow to send their headers")

        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=60) == 0
        proc.reader.join(5)
        for secret in (TOKEN, WRONG, OPS[1]):
            assert secret not in proc.output
    finally:
        proc.stop()
