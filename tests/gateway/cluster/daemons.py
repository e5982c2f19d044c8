"""Gateway daemons as child processes on one PostgreSQL database and one
`carrier-gateway simulate smsc`: the cluster scenarios' shared pieces."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

from tests.gateway.e2e.processes import ROOT, CallbackServer, Process

ACCOUNT, TOKEN = "AC" + "1" * 32, "tok-Q7vLx2mZ"
PASSWORD = "Pw9kR2x"
BINDS = 2
HEARTBEAT, LEASE = 0.5, 5.0  # a lease long enough that a busy machine does not fake a death


def config(url: str, smsc_port: int, node_id: str) -> str:
    return (f'[api]\nlisten = "127.0.0.1:8080"\n[store]\nurl = "{url}"\n'
            f'[cluster]\nnode_id = "{node_id}"\nheartbeat = {HEARTBEAT}\nlease_timeout = {LEASE}\n'
            '[pipeline]\npoll_interval = 0.2\n[callbacks]\npoll_interval = 0.1\nallow_hosts = ["127.0.0.1"]\n'
            f'[[accounts]]\nsid = "{ACCOUNT}"\nauth_token = "{TOKEN}"\n'
            f'[[carriers]]\nname = "smsc"\nprotocol = "smpp"\nhost = "127.0.0.1"\nport = {smsc_port}\n'
            f'system_id = "gw"\npassword = "{PASSWORD}"\nbind = "transceiver"\nbinds = {BINDS}\n'
            'window = 10\nregistered_delivery = true\nroutes = ["+1"]\n')


class Smsc(Process):
    """The simulator, with every stats line it printed (a JSON object)."""

    def __init__(self):
        super().__init__("simulate", "smsc", "--port", "0", "--account", f"gw:{PASSWORD}",
                         "--receipt-delay", "0.05", "--stats-every", "0.1")
        self.port = int(self.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1))

    def stats(self) -> list[dict]:
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]

    def wait_stats(self, pattern: str, timeout: float = 30.0) -> dict:
        return json.loads(self.wait_for(rf"^(\{{.*{pattern}.*\}})$", timeout=timeout,
                                        start=len(self.lines)).group(1))


class Node(Process):
    def __init__(self, tmp_path, url: str, smsc_port: int, node_id: str):
        path = tmp_path / f"{node_id}.toml"
        path.write_text(config(url, smsc_port, node_id))
        self.config_path = str(path)
        self.node_id = node_id
        super().__init__("run", "--config", str(path), "--listen", "127.0.0.1:0")
        self.port = int(self.wait_for(r"API listening on 127\.0\.0\.1:(\d+)").group(1))

    def send(self, to: str, callbacks: CallbackServer) -> str:
        data = {"from": "sms:+15005550006", "to": f"sms:{to}", "body": "hello",
                "status_callback": callbacks.url}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/2012-04-24/Accounts/{ACCOUNT}/Messages.json",
            data=urllib.parse.urlencode(data).encode())
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode())
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["sid"]


def cluster_status(config_path: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "gateway", "cluster", "status", "--config", config_path,
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def send_many(nodes: list[Node], count: int, callbacks: CallbackServer) -> list[str]:
    """``count`` messages, round-robin over the nodes' APIs, from threads."""
    sids: list[str] = []
    lock = threading.Lock()

    def worker(offset):
        for i in range(offset, count, 4):
            sid = nodes[i % len(nodes)].send(f"+1415555{i:04d}", callbacks)
            with lock:
                sids.append(sid)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sids


def took_over(node: Node, dead: str) -> re.Match:
    return node.wait_for(rf"took over from {dead}: (\d+) messages", timeout=LEASE * 4)


def store_view(url: str, sid: str) -> dict:
    """What the store holds of a message and its callbacks (a failed test's report)."""
    from sqlalchemy import create_engine, select

    from gateway.store import schema as s

    m, o = s.messages, s.callback_outbox
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            message = conn.execute(select(m.c.status, m.c.claimed_by).where(m.c.sid == sid)).all()
            rows = conn.execute(select(o.c.id, o.c.state, o.c.head, o.c.attempts, o.c.last_error, o.c.params)
                                .where(o.c.message_sid == sid).order_by(o.c.id)).all()
    finally:
        engine.dispose()
    return {"message": message,
            "outbox": [(*r[:5], dict(r[5]).get("MessageStatus")) for r in rows]}
