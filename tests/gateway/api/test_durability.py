"""Nothing accepted is lost: every 201 survives a kill -9 of the process."""
import os
import signal
import subprocess
import sys

import pytest_twisted
from sqlalchemy import create_engine, select
from twisted.internet import defer, threads

from gateway.store import schema as s

from .conftest import Server

SERVER = os.path.join(os.path.dirname(__file__), "serve_api.py")


@pytest_twisted.ensureDeferred
async def test_every_201_survives_kill_9(tmp_path):
    db = tmp_path / "kill.db"
    proc = subprocess.Popen([sys.executable, SERVER, str(db)], stdout=subprocess.PIPE)
    try:
        port = int(await threads.deferToThread(proc.stdout.readline))
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
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = set(conn.execute(select(s.messages.c.sid)).scalars())
    engine.dispose()
    assert accepted <= stored
