"""Shared pieces of the dispatcher and callback tests: a real SQLite store on
the global reactor (its writer thread reports there), services on a Clock."""
from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta, timezone

from twisted.internet import reactor

from gateway.store.store import Store
from tests.db_backends import BACKENDS, database_url  # noqa: F401 (BACKENDS: the pipeline tests' params)

T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)


def message_row(**overrides) -> dict:
    row = {
        "sid": "SM" + uuid.uuid4().hex, "account_sid": "AC" + "1" * 32, "api": "messages",
        "direction": "outbound-api", "channel": "sms", "from_": "+15550001111",
        "to": "+15550002222", "body": "hello", "status": "queued", "num_segments": 1,
        "media_list": [], "status_callback": None, "status_callback_method": None,
        "date_created": T0, "expires_at": T0 + timedelta(seconds=14400),
    }
    row.update(overrides)
    return row


@contextlib.contextmanager
def database(backend: str, tmp_path):
    """A SQLite file, or a fresh PostgreSQL schema (migrated), as a URL."""
    if backend == "sqlite":
        yield str(tmp_path / "gw.db")
        return
    from gateway.store import migrate

    with database_url(backend, tmp_path / "gw.db", prefix="gw_pipe") as url:
        migrate.upgrade(url)
        yield url


async def open_store(path) -> Store:
    """A started store on a SQLite file path or a database URL."""
    url = str(path) if "://" in str(path) else f"sqlite:///{path}"
    store = Store(url, reactor)
    await store.start()
    return store


async def settle(store, clock, rounds: int = 8) -> None:
    """Let Clock-scheduled work and the store's writes run to quiescence."""
    for _ in range(rounds):
        clock.advance(0)
        await store.write(lambda conn: None)
