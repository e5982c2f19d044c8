"""Bind slots: a carrier's ``binds`` is a budget for the whole cluster.

Rules:

* Slot ``i`` of carrier ``c`` is held by whoever holds the session-level
  PostgreSQL advisory lock ``(crc32("carrier-gateway:" + c) & 0x7fffffff,
  i)`` on its dedicated connection.  Only the holder opens bind ``c-i``.
  PostgreSQL frees the locks of a node whose connection ends (a crash, a
  kill -9, a network cut), so survivors can take its slots at their next
  round; a node whose own lock connection fails closes all its binds
  first, then starts over.
* Balance (``plan``, pure): with ``n`` live nodes a node holds at most
  ``ceil(binds / n)`` slots of a carrier.  Holding more (a node joined),
  it closes the highest ones: bind stopped (drained and unbound) *before*
  the lock is released, so the cluster never has more than ``binds``
  binds.  Holding fewer, it tries the slots it does not hold, lowest first, until it has its share.
* A round runs at start and every ``interval`` seconds (the heartbeat);
  SIGTERM closes every bind (drain, unbind), then releases the locks.
* ``max_tps`` is per bind (``[carriers.smpp] max_tps``): with exactly
  ``binds`` binds up in the whole cluster the carrier's total stays
  ``binds * max_tps`` whichever nodes hold them.
"""
from __future__ import annotations

import math
import zlib
from datetime import timedelta
from typing import Any, Mapping

from sqlalchemy import func, select
from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from gateway.cluster.nodes import LIVE
from gateway.common.periodic import Periodic
from gateway.store import schema as s
from gateway.store.timeutil import from_timestamp

log = Logger()


def lock_key(carrier: str) -> int:
    return zlib.crc32(f"carrier-gateway:{carrier}".encode()) & 0x7FFFFFFF


def plan(held: set[int], binds: int, live_nodes: int) -> tuple[list[int], list[int], int]:
    """For one carrier: (slots to release, slots to try in order, how many
    of those to take at most)."""
    fair = math.ceil(binds / max(1, live_nodes))
    mine = sorted(held)
    if len(mine) >= fair:
        return mine[fair:], [], 0
    return [], [i for i in range(1, binds + 1) if i not in held], fair - len(mine)


class SlotKeeper(Service):
    """Opens and closes the carriers' binds by the slots this node holds."""

    name = "bind-slots"

    def __init__(self, engine: Any, reactor: Any, carriers: Mapping[str, Any], *, interval: float,
                 lease_timeout: float):
        self.engine = engine  # a PostgreSQL engine: one connection holds the locks
        self.reactor = reactor
        self.carriers = dict(carriers)  # name -> SmppCarrier (gated)
        self.interval = interval
        self.lease_timeout = lease_timeout
        self.held: dict[str, set[int]] = {name: set() for name in carriers}
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="bind-slots")
        self._conn = None
        self._rounds = Periodic(reactor, self.round, name="slot rounds")
        self._last_round: Deferred = succeed(None)

    @property
    def count(self) -> int:
        return sum(len(slots) for slots in self.held.values())

    def startService(self):
        super().startService()
        self._pool.start()
        self._rounds.start(self.interval, now=True)

    async def _stop(self) -> None:
        self._rounds.stop()
        under_way: Deferred = Deferred()  # a round under way ends first (it may hold a new slot)
        self._last_round.addBoth(lambda result: (under_way.callback(None), result)[1])
        await under_way
        await self._close_all()
        try:  # at once: a closed session's locks go only when its server process ends
            await self._blocking(self._unlock_all)
        except Exception:
            log.failure("bind slots: releasing the locks failed; closing their connection")
        await self._blocking(self._disconnect)
        self._pool.stop()

    def stopService(self):
        super().stopService()
        return Deferred.fromCoroutine(self._stop())

    # -- rounds ---------------------------------------------------------------
    def round(self) -> Deferred:
        """Run a round after the one under way (if any); fires when it is done."""
        previous, done = self._last_round, Deferred()
        self._last_round = done

        def run(_ignored):
            d = Deferred.fromCoroutine(self._round())
            d.addErrback(lambda f: Deferred.fromCoroutine(self._round_failed(f)))
            d.addErrback(lambda f: log.failure("bind slots: recovering from a failed round failed", f))
            d.chainDeferred(done)
            return None

        previous.addCallback(run)
        return done

    async def _round(self) -> None:
        cutoff = from_timestamp(self.reactor.seconds()) - timedelta(seconds=self.lease_timeout)
        live = await self._blocking(self._live_nodes, cutoff)
        for name, carrier in self.carriers.items():
            if not self.running:
                return
            release, candidates, room = plan(self.held[name], carrier.settings.binds, live)
            for slot in release:
                await carrier.close_slot(slot)
                await self._blocking(self._unlock, name, slot)
                self.held[name].discard(slot)
                log.info("bind slots: released {carrier} slot {slot} ({live} live nodes)",
                         carrier=name, slot=slot, live=live)
            for slot in candidates:
                if not self.running or room <= 0:
                    break
                if await self._blocking(self._try_lock, name, slot):
                    room -= 1
                    self.held[name].add(slot)
                    carrier.open_slot(slot)
                    log.info("bind slots: took {carrier} slot {slot}", carrier=name, slot=slot)

    async def _round_failed(self, failure) -> None:
        log.failure("bind slots: the lock connection failed; closing every bind", failure)
        await self._close_all()
        await self._blocking(self._disconnect)

    async def _close_all(self) -> None:
        closing = []
        for name, carrier in self.carriers.items():
            for slot in sorted(self.held[name]):
                closing.append(carrier.close_slot(slot))
        if closing:
            await DeferredList(closing, consumeErrors=True)
        self.held = {name: set() for name in self.carriers}

    # -- on the keeper's thread: the one lock connection ------------------------
    def _blocking(self, fn, *args):
        return deferToThreadPool(self.reactor, self._pool, fn, *args)

    def _connection(self):
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()  # closes the session: its locks go with it
            finally:
                conn.close()

    def _live_nodes(self, cutoff) -> int:
        n = s.nodes
        return self._connection().execute(
            select(func.count()).select_from(n)
            .where(n.c.state == LIVE, n.c.last_heartbeat > cutoff)).scalar_one()

    def _try_lock(self, carrier: str, slot: int) -> bool:
        return bool(self._connection().execute(
            select(func.pg_try_advisory_lock(lock_key(carrier), slot))).scalar_one())

    def _unlock_all(self) -> None:
        if self._conn is not None:
            self._conn.execute(select(func.pg_advisory_unlock_all()))

    def _unlock(self, carrier: str, slot: int) -> None:
        self._connection().execute(select(func.pg_advisory_unlock(lock_key(carrier), slot)))


__all__ = ["SlotKeeper", "plan", "lock_key"]
