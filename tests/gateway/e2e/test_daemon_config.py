"""`carrier-gateway run --config FILE` as an operator runs it, against a
separately started `carrier-gateway simulate smsc`: a message reaches
`delivered` with its status callbacks, SIGHUP reloads without dropping a
bind, SIGTERM unbinds and exits 0, and no log line holds the SMPP password
or an auth token (debug level, so the most verbose output is checked)."""
from __future__ import annotations

import base64
import json
import re
import signal
import urllib.error
import urllib.parse
import urllib.request

from .processes import CallbackServer, Process

ACCOUNT, TOKEN = "AC" + "1" * 32, "tok-Q7vLx2mZ"
PASSWORD = "Pw9kR2x"  # SMPP passwords are at most 8 characters
SECRETS = (PASSWORD, TOKEN, base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode())


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


def _config(db, smsc_port, route):
    # [api] listen is overridden by run --listen (port 0): a reload keeps the override.
    return (f'[api]\nlisten = "127.0.0.1:8080"\n[store]\nurl = "sqlite:///{db}"\n'
            '[pipeline]\npoll_interval = 0.2\n[callbacks]\npoll_interval = 0.1\nallow_hosts = ["127.0.0.1"]\n'
            f'[[accounts]]\nsid = "{ACCOUNT}"\nauth_token = "{TOKEN}"\n'
            f'[[carriers]]\nname = "smsc"\nprotocol = "smpp"\nhost = "127.0.0.1"\nport = {smsc_port}\n'
            f'system_id = "gw"\npassword = "{PASSWORD}"\nbind = "transceiver"\nbinds = 2\n'
            f'window = 10\nmax_tps = 100\nregistered_delivery = true\nroutes = ["{route}"]\n')


def _send_and_deliver(port, callbacks, to):
    message = _api(port, "/Messages.json", {"from": "sms:+15005550006", "to": f"sms:{to}",
                                            "body": "hello", "status_callback": callbacks.url})
    callbacks.wait_status(message["sid"], ("delivered", "undelivered", "failed"))
    assert _api(port, f"/Messages/{message['sid']}.json")["status"] == "delivered"
    return message["sid"]


def test_configured_daemon_against_a_separate_simulator(tmp_path):
    callbacks = CallbackServer()
    smsc = Process("simulate", "smsc", "--port", "0", "--account", f"gw:{PASSWORD}",
                   "--receipt-delay", "0.05", "--stats-every", "0.1")
    gateway = None
    try:
        smsc_port = int(smsc.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1))
        conf = tmp_path / "gateway.toml"
        conf.write_text(_config(tmp_path / "gw.db", smsc_port, "+1"))
        gateway = Process("run", "--config", str(conf), "--listen", "127.0.0.1:0", "--log-level", "debug")
        port = int(gateway.wait_for(r"API listening on 127\.0\.0\.1:(\d+)").group(1))
        gateway.wait_for(r"bind smsc-1 up")
        gateway.wait_for(r"bind smsc-2 up")
        assert _health(port)["carriers"]["smsc"]["binds_up"] == 2

        first = _send_and_deliver(port, callbacks, "+14155550100")
        assert callbacks.statuses(first) == ["sending", "sent", "delivered"]

        # SIGHUP: a new route; the two binds stay (the simulator sees no new bind).
        conf.write_text(_config(tmp_path / "gw.db", smsc_port, "+44"))
        mark = len(gateway.lines)
        gateway.proc.send_signal(signal.SIGHUP)
        gateway.wait_for(r"SIGHUP: reloaded", start=mark)
        assert "needs a restart" not in "".join(gateway.lines[mark:])  # routes apply live
        _send_and_deliver(port, callbacks, "+447700900123")
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
        callbacks.close()
