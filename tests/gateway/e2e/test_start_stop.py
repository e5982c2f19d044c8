"""Start and stop races with real daemon processes: SIGTERM while the store
is starting stops the start (no service starts after shutdown began, no
CRITICAL line, no "Can't stop reactor"), and a start that fails exits 1 with
one line naming the fix.  Every wait is on an output line or a socket event."""
from __future__ import annotations

import signal
import socket
import threading

from .processes import Process

ACCOUNT = '[[accounts]]\nsid = "AC1"\nauth_token = "one"\n'
CARRIER = '[[carriers]]\nname = "c"\nhost = "127.0.0.1"\nport = 9\nsystem_id = "s"\nroutes = ["+"]\n'
NOISE = ("CRITICAL", "Traceback", "Unhandled error", "Can't stop reactor")


def _config(tmp_path, listen: str, url: str) -> str:
    conf = tmp_path / "gw.toml"
    conf.write_text(f'[api]\nlisten = "{listen}"\n[store]\nurl = "{url}"\n' + ACCOUNT + CARRIER)
    return str(conf)


def _after(lines: list[str], marker: str) -> list[str]:
    index = next(i for i, line in enumerate(lines) if marker in line)
    return lines[index:]


class BlackHole:
    """A TCP server that accepts and never answers: a database that hangs."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = threading.Event()
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            while True:
                conn, _ = self.server.accept()
                self.connections.append(conn)
                self.accepted.set()
        except OSError:
            pass

    def close(self):
        for conn in self.connections:
            conn.close()
        self.server.close()


def test_busy_api_port_exits_1_with_one_line_naming_listen(tmp_path):
    holder = socket.create_server(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    proc = Process("run", "--config", _config(tmp_path, f"127.0.0.1:{port}", f"sqlite:///{tmp_path}/gw.db"))
    try:
        assert proc.proc.wait(timeout=60) == 1
        proc.reader.join(5)
        failed = [line for line in proc.lines if "could not start" in line]
        assert len(failed) == 1, proc.output
        assert f"127.0.0.1:{port}" in failed[0] and "--listen" in failed[0], failed
        assert not any(word in proc.output for word in NOISE), proc.output
        assert "carrier-gateway stopped" in proc.output
    finally:
        proc.stop()
        holder.close()


def test_sigterm_while_the_store_hangs_starting_stops_without_starting_more(tmp_path):
    """The store's database hangs while the daemon starts; SIGTERM comes;
    then the database goes away.  The shutdown waits for the store's start,
    no later service starts, and the failure is one line, exit 1."""
    hole = BlackHole()
    url = f"postgresql+psycopg://gw@127.0.0.1:{hole.port}/gw"
    proc = Process("run", "--config", _config(tmp_path, "127.0.0.1:0", url))
    try:
        proc.wait_for(r"starting store")
        assert hole.accepted.wait(60), proc.output  # the store is connecting
        proc.proc.send_signal(signal.SIGTERM)
        proc.wait_for(r"carrier-gateway stopping")
        hole.close()  # the connection attempt fails now
        assert proc.proc.wait(timeout=60) == 1
        proc.reader.join(5)
        after = "".join(_after(proc.lines, "carrier-gateway stopping"))
        assert "starting " not in after, proc.output  # nothing started after the stop began
        assert "carrier-gateway stopped" in after
        assert not any(word in proc.output for word in NOISE), proc.output
        failed = [line for line in proc.lines if "could not start" in line]
        assert len(failed) == 1 and "cannot open the store" in failed[0], proc.output
        assert "127.0.0.1" in failed[0] and "[store] url" in failed[0]
    finally:
        proc.stop()
        hole.close()


def test_sigterm_while_starting_exits_0_and_starts_nothing_after(tmp_path):
    proc = Process("run", "--config", _config(tmp_path, "127.0.0.1:0", f"sqlite:///{tmp_path}/gw.db"))
    try:
        proc.wait_for(r"starting store")
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=60) == 0
        proc.reader.join(5)
        after = "".join(_after(proc.lines, "carrier-gateway stopping"))
        assert "starting " not in after and "API listening" not in after, proc.output
        assert "carrier-gateway stopped" in after
        assert not any(word in proc.output for word in NOISE), proc.output
    finally:
        proc.stop()
