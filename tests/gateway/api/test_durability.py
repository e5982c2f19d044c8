"""Nothing accepted is lost: every 201 survives a kill -9 of the process."""
import os
import signal
import subprocess
import sys

import pytest
import pytest_twisted
from sqlalchemy import create_engine, select
from twisted.internet import defer, threads

from gateway.store import schema as s

from tests.pids import wait_exit

from .conftest import Server

SERVER = os.path.join(os.path.dirname(__file__), "serve_api.py")


@pytest.mark.parametrize("writer", ["process", "thread"])
@pytest_twisted.ensureDeferred
async def test_every_201_survives_kill_9(tmp_path, writer):
    db = tmp_path / "kill.db"
    proc = subprocess.Popen([sys.executable, SERVER, str(db), writer], stdout=subprocess.PIPE)
    writer_pid = 0
    try:
        port, writer_pid = map(int, (await threads.deferToThread(proc.stdout.readline)).split())
        client = Server(None, port, None, [])
        posts = [client.json("POST", "/Messages", json={
            "from": "sms:+14155550100", "to": f"sms:+1415555{i:04d}", "body": f"m{i}"})
            for i in range(60)]
        results = await defer.gatherResults([defer.ensureDeferred(p) for p in posts])
        accepted = {body["sid"] for code, body in results if code == 201}
        assert len(accepted) == 60
        await client.pool.closeCachedConnections()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    if writer_pid:  # the writer process follows the daemon out
        assert wait_exit(writer_pid)
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = set(conn.execute(select(s.messages.c.sid)).scalars())
    engine.dispose()
    assert accepted <= stored
