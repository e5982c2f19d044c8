"""``carrier-gateway cluster status`` through the real CLI entry point."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from gateway.cli.main import main
from gateway.cluster import nodes
from gateway.messages.store import insert_message
from gateway.dispatch.claims import claim_queued
from tests.gateway.store.factories import message_row


def _config(tmp_path, url: str) -> str:
    path = tmp_path / "gateway.toml"
    path.write_text(f'[store]\nurl = "{url}"\n[cluster]\nnode_id = "gw-1"\nlease_timeout = 10\n')
    return str(path)


def test_status_lists_nodes_alive_binds_and_in_flight(pg_url, pg_engine, tmp_path, capsys):
    now = datetime.now(timezone.utc)
    with pg_engine.begin() as conn:
        nodes.register(conn, "gw-1", "h1", 1, now)
        nodes.beat(conn, "gw-1", now, binds=2)
        nodes.register(conn, "gw-2", "h2", 2, now - timedelta(seconds=60))
        for _ in range(3):
            insert_message(conn, message_row(next_attempt_at=now - timedelta(seconds=1), expires_at=None))
        claim_queued(conn, now, 3, "gw-2")
    config = _config(tmp_path, pg_url)
    assert main(["cluster", "status", "--config", config, "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert list(body) == ["nodes"]
    first, second = body["nodes"]
    assert set(first) == {"node_id", "alive", "last_heartbeat", "binds", "in_flight"}
    assert (first["node_id"], first["alive"], first["binds"], first["in_flight"]) == ("gw-1", True, 2, 0)
    assert (second["node_id"], second["alive"], second["binds"], second["in_flight"]) == ("gw-2", False, 0, 3)
    assert datetime.fromisoformat(first["last_heartbeat"]) == now
    assert main(["cluster", "status", "--config", config]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NODE", "ALIVE", "LAST", "HEARTBEAT", "BINDS", "IN", "FLIGHT"]
    assert lines[1].split()[:2] == ["gw-1", "yes"] and lines[2].split()[:2] == ["gw-2", "no"]
    assert lines[2].split()[-2:] == ["0", "3"]


def test_status_on_a_fresh_sqlite_store_and_errors(tmp_path, capsys):
    from gateway.store import migrate

    url = f"sqlite:///{tmp_path}/one.db"
    migrate.upgrade(url)
    config = _config(tmp_path, url)
    assert main(["cluster", "status", "--config", config, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"nodes": []}
    assert main(["cluster", "status", "--config", config]) == 0
    assert "no nodes have registered" in capsys.readouterr().out
    assert main(["cluster", "status", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
