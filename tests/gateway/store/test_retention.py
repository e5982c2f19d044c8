"""Retention end to end: ``carrier-gateway db prune`` through the real CLI
entry point, and the daemon's Pruner over a real store on a Clock."""
from __future__ import annotations

from datetime import timedelta

import pytest_twisted
from sqlalchemy import func, select
from twisted.internet.task import Clock

from gateway.config import model as config
from gateway.cli.main import main
from gateway.store import migrate
from gateway.store import schema as s
from gateway.store.engine import make_engine
from gateway.store.retention import Pruner
from gateway.store.store import Store
from gateway.store.timeutil import utcnow

from .test_prune import add


def seed(url, old=7, young=3):
    engine = make_engine(url, writer=True)
    with engine.begin() as conn:
        now = utcnow()
        for i in range(old):
            add(conn, created=now - timedelta(days=40, seconds=i), status="delivered")
        for i in range(young):
            add(conn, created=now - timedelta(days=1), status="delivered")
    engine.dispose()


def messages(url):
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(s.messages)).scalar_one()
    engine.dispose()
    return n


def test_db_prune_from_config(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/gw.db"
    migrate.upgrade(url)
    seed(url)
    conf = tmp_path / "gateway.toml"
    conf.write_text(f'[store]\nurl = "{url}"\nretention_days = 30\n')
    assert main(["db", "prune", "--config", str(conf), "--batch", "2"]) == 0
    out = capsys.readouterr().out
    assert "7 messages" in out and "older than 30 days" in out and "rows/s" in out
    assert messages(url) == 3
    assert main(["db", "prune", "--url", url, "--days", "0.5"]) == 0
    assert messages(url) == 0


def test_db_prune_needs_a_retention(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/gw.db"
    migrate.upgrade(url)
    assert main(["db", "prune", "--url", url]) == 2
    assert "retention_days" in capsys.readouterr().err


def test_retention_days_is_read_exactly():
    assert config.loads("[store]\nretention_days = 30\n").store.retention_days == 30
    assert config.loads("").store.retention_days is None


@pytest_twisted.ensureDeferred
async def test_the_daemon_prunes_every_interval(tmp_path):
    from twisted.internet import reactor

    url = f"sqlite:///{tmp_path}/gw.db"
    migrate.upgrade(url)
    seed(url, old=5, young=2)
    store = Store(url, reactor)
    await store.start()
    clock = Clock()
    clock.advance(utcnow().timestamp())
    pruner = Pruner(store, clock, 30, interval=60, batch=2, pause=0)
    try:
        pruner.startService()  # the first run starts at once
        await pruner._run if pruner._run is not None else None
        assert pruner.stats == {"runs": 1, "messages": 5, "rows": pruner.stats["rows"]}
        assert messages(url) == 2
        clock.advance(60 * 60 * 24 * 30)  # a month later: the young ones are old now
        await pruner._run if pruner._run is not None else None
        assert messages(url) == 0
    finally:
        await pruner.stopService()
        await store.stop()
    assert clock.getDelayedCalls() == []
