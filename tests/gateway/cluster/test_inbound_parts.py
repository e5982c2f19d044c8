"""An MO whose two parts arrive at once on two nodes' binds (PostgreSQL):
each node's write sees the other's part, one after the other, so the parts
become one inbound message at once, not two groups left waiting."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, text

from gateway.sms.inbound.store import InboundSms, receive
from gateway.store import schema as s
from tests.gateway.store.factories import T0


def _part(seqno: int, bind: str) -> InboundSms:
    return InboundSms(carrier="smsc", source="+15005550006", destination="+15005550100",
                      text=f"part {seqno} ", concat=(42, 2, seqno, 8), bind=bind)


def _blocked(engine, pid: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                            {"pid": pid}).scalar() is True


def test_two_parts_on_two_nodes_at_once_make_one_inbound_message(pg_engine):
    first = pg_engine.connect()
    results: dict[str, str] = {}
    try:
        with first.begin():  # node 1 stores part 1; not committed yet
            results["n1"] = receive(first, _part(1, "smsc-1"), number=None, now=T0).state
            second = pg_engine.connect()
            pid = second.execute(text("SELECT pg_backend_pid()")).scalar_one()
            second.commit()

            def node2():
                try:
                    with second.begin():
                        results["n2"] = receive(second, _part(2, "smsc-2"), number=None,
                                                now=T0 + timedelta(milliseconds=5)).state
                except Exception as exc:  # reported by the assertion below
                    results["n2"] = repr(exc)

            thread = threading.Thread(target=node2)
            thread.start()
            # node 2 either finished without seeing part 1 or waits for node 1's commit
            while thread.is_alive() and not _blocked(pg_engine, pid):
                thread.join(0.01)
        thread.join(10)
        second.close()
    finally:
        first.close()
    assert results == {"n1": "waiting", "n2": "stored"}
    with pg_engine.connect() as conn:
        bodies = conn.execute(select(s.messages.c.body).where(s.messages.c.direction == "inbound")).scalars().all()
        assert bodies == ["part 1 part 2 "]
        assert conn.execute(select(func.count()).select_from(s.inbound_parts)).scalar_one() == 0
