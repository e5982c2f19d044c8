"""A live daemon and SMSC simulator as child processes, for the browser and
command-line tests of the console (both block, so the daemon cannot share
their thread's reactor).  Waits are on lines of the children's output."""
from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request

from gateway.console.passwords import hash_password
from tests.gateway.e2e.processes import Process

ACCOUNT, TOKEN = "AC" + "c" * 32, "token-c"
OPERATOR, PASSWORD = "ops-bob", "s3cret console"


def config_text(db: str, smsc_port: int) -> str:
    return f"""
[store]
url = "sqlite:///{db}"
[pipeline]
poll_interval = 0.2
[console]
refresh = 0.5
[console.users]
"{OPERATOR}" = "{hash_password(PASSWORD)}"
[[accounts]]
sid = "{ACCOUNT}"
auth_token = "{TOKEN}"
[[carriers]]
name = "sim"
host = "127.0.0.1"
port = {smsc_port}
system_id = "gw"
password = "pw"
window = 50
max_tps = 200
routes = ["+"]
reconnect_initial = 0.2
reconnect_max = 0.5
enquire_link_interval = 5
"""


class Live:
    """``start()`` the simulator and the daemon; ``stop_smsc``/``start_smsc``
    take the simulator away and bring it back on the same port."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.smsc: Process | None = None
        self.smsc_port = 0
        self.gateway: Process | None = None
        self.config = str(tmp_path / "gw.toml")

    def start_smsc(self) -> None:
        self.smsc = Process("simulate", "smsc", "--port", str(self.smsc_port), "--account", "gw:pw",
                            "--receipt-delay", "0.05", "--outcomes", "DELIVRD=50,UNDELIV=50", "--seed", "7")
        self.smsc_port = int(self.smsc.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1))

    def stop_smsc(self) -> None:
        self.smsc.stop()

    def start(self) -> "Live":
        self.start_smsc()
        with open(self.config, "w") as f:
            f.write(config_text(str(self.tmp_path / "gw.db"), self.smsc_port))
        self.gateway = Process("run", "--config", self.config, "--listen", "127.0.0.1:0")
        port = int(self.gateway.wait_for(r"API listening on 127\.0\.0\.1:(\d+)").group(1))
        self.url = f"http://127.0.0.1:{port}"
        self.gateway.wait_for(r"bind sim-1 up")
        return self

    def stop(self) -> None:
        for proc in (self.gateway, self.smsc):
            if proc is not None:
                proc.stop()

    def send(self, to: str = "+15551230009", body: str = "hello") -> dict:
        data = urllib.parse.urlencode({"from": "sms:+15005550006", "to": f"sms:{to}", "body": body}).encode()
        request = urllib.request.Request(f"{self.url}/api/2012-04-24/Accounts/{ACCOUNT}/Messages.json",
                                         data=data)
        token = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
