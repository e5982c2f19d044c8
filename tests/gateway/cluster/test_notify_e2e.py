"""No polling delay, with real daemons: two nodes on one PostgreSQL and one
SMSC simulator, the dispatchers' poll set to an hour.  Node A holds the only
bind; a message accepted by node B's API is sent by A at once, so only the
NOTIFY can have woken A.  Then both listening connections are killed on the
server: each node listens again, and the next message goes out the same way.
Every wait is on an event (a log line, a callback request)."""
from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request

from tests.gateway.cluster.conftest import needs_pg
from tests.gateway.cluster.daemons import ACCOUNT, PASSWORD, TOKEN, Smsc
from tests.gateway.e2e.processes import CallbackServer, Process

POLL = 3600.0  # the fallback poll: far beyond every wait below
WAIT = 30.0  # bounds a test that has already failed, nothing more
LISTENING = r"listening for queued messages on gateway_queued"


def config(url: str, smsc_port: int, node_id: str) -> str:
    return (f'[api]\nlisten = "127.0.0.1:0"\n[store]\nurl = "{url}"\n'
            f'[cluster]\nnode_id = "{node_id}"\nheartbeat = 0.5\nlease_timeout = 5.0\n'
            f'[pipeline]\npoll_interval = {POLL}\n'
            '[callbacks]\npoll_interval = 0.1\nallow_hosts = ["127.0.0.1"]\n'
            f'[[accounts]]\nsid = "{ACCOUNT}"\nauth_token = "{TOKEN}"\n'
            f'[[carriers]]\nname = "smsc"\nprotocol = "smpp"\nhost = "127.0.0.1"\nport = {smsc_port}\n'
            f'system_id = "gw"\npassword = "{PASSWORD}"\nbind = "transceiver"\nbinds = 1\n'
            'registered_delivery = true\nroutes = ["+1"]\n')


class Node(Process):
    def __init__(self, tmp_path, url: str, smsc_port: int, node_id: str):
        path = tmp_path / f"{node_id}.toml"
        path.write_text(config(url, smsc_port, node_id))
        super().__init__("run", "--config", str(path), "--listen", "127.0.0.1:0")
        self.port = int(self.wait_for(r"API listening on 127\.0\.0\.1:(\d+)", timeout=WAIT).group(1))

    def send(self, callbacks: CallbackServer) -> str:
        data = {"from": "sms:+15005550006", "to": "sms:+14155550100", "body": "hello",
                "status_callback": callbacks.url}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/2012-04-24/Accounts/{ACCOUNT}/Messages.json",
            data=urllib.parse.urlencode(data).encode())
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode())
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["sid"]


def kill_listeners(url: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN %%'").all())
    finally:
        engine.dispose()


def statuses(url: str) -> list:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT sid, status, claimed_by, date_created FROM messages").all()
    finally:
        engine.dispose()


@needs_pg
def test_a_message_accepted_on_one_node_is_sent_at_once_by_the_node_with_the_bind(tmp_path, pg_url):
    smsc, callbacks, nodes = Smsc(), CallbackServer(), []
    try:
        a = Node(tmp_path, pg_url, smsc.port, "n-a")
        nodes.append(a)
        a.wait_for(r"bind smsc-1 up", timeout=WAIT)  # the only slot: B will hold none
        a.wait_for(LISTENING, timeout=WAIT)
        b = Node(tmp_path, pg_url, smsc.port, "n-b")
        nodes.append(b)
        b.wait_for(LISTENING, timeout=WAIT)
        b.wait_for(r"registered", timeout=WAIT)

        sid = b.send(callbacks)
        assert callbacks.wait_status(sid, {"sent", "delivered"}, timeout=WAIT)
        assert "bind smsc-1 up" not in b.output  # B never had a bind: A sent it

        marks = [len(node.lines) for node in nodes]
        assert kill_listeners(pg_url) == 2
        for node, mark in zip(nodes, marks):
            node.wait_for(r"listening connection dropped", timeout=WAIT, start=mark)
            node.wait_for(LISTENING, timeout=WAIT, start=mark)
        sid = b.send(callbacks)
        assert callbacks.wait_status(sid, {"sent", "delivered"}, timeout=WAIT)
    finally:
        print(statuses(pg_url))
        for node in nodes:
            node.stop()
            print(node.output)  # shown when the test fails
        smsc.stop()
        callbacks.close()
