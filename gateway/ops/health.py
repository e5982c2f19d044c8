"""``GET /health``: binds up/down per carrier and the queue depth, as JSON.

Unauthenticated and cheap: the counts come from a snapshot that a
:class:`Monitor` refreshes off the reactor thread, never from a query per
request.  Every ``interval`` (5 s) it counts the queue (queued and
sending) through indexes that reach those messages only.  Counting every
status (``GROUP BY status``) reads an index entry per message stored: it
is repeated at every refresh while it takes at most ``cheap`` (5 ms, a
small store), else every ``FULL_EVERY`` refreshes (5 minutes).

The answer is 200 while at least one carrier of each protocol in use has a
bind up ("ok") or some carrier is down ("degraded"); 503 when no carrier at
all is up ("down"), so a load balancer or a monitoring check can act on the
code alone.

With ``[ops] health_details_auth = true`` the answer stays open (a load
balancer sends no credentials) but holds only ``{"status": ...}`` unless
the request carries the [ops] credentials; the code is the same either way.

The store's own state is under ``"store"``: ``{"status": "ok"}``, or
``"failing"`` with ``since`` (epoch seconds), ``error`` and
``failed_writes`` while it cannot write (disk full, read-only, database
gone; see ``gateway.store.faults``).  A failing store makes the answer
"down" and 503 too: the gateway cannot accept a message then.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Mapping

from sqlalchemy import func, select
from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.api.pages import JsonErrorsLeaf
from gateway.common.periodic import Periodic
from gateway.store import schema as s
from gateway.store.counts import of_every_account
from gateway.store.interface import Store

log = Logger()


FULL_EVERY = 60  # refreshes between two counts of every status, on a large store
CHEAP = 0.005  # seconds: a count of every status this quick is repeated at every refresh


def count_by_status(conn) -> dict[str, int]:
    """Messages by status, every status (an index entry read per message)."""
    rows = conn.execute(select(s.messages.c.status, func.count()).group_by(s.messages.c.status))
    return {status: count for status, count in rows}


def _count_all_timed(conn) -> tuple[dict[str, int], float]:
    started = time.perf_counter()
    return count_by_status(conn), time.perf_counter() - started


def count_live(conn) -> dict[str, int]:
    """Messages queued and sending: queued through the queue's partial
    index, sending account by account through (account, status)."""
    m = s.messages
    count = select(func.count()).select_from(m)
    return {s.QUEUED: conn.execute(count.where(m.c.status == s.QUEUED_LITERAL)).scalar_one(),
            s.SENDING: conn.execute(count.where(of_every_account(m.c.account_sid, conn.dialect.name),
                                                m.c.status == s.SENDING)).scalar_one()}


def carrier_health(name: str, carrier: Any, protocol: str) -> dict[str, Any]:
    binds = getattr(carrier, "binds", None)
    if binds is not None:
        up = [b.name for b in binds if getattr(b, "is_bound", False)]
        return {"protocol": protocol, "up": bool(carrier.is_up), "binds_up": len(up),
                "binds": len(binds),
                "bind_state": {b.name: ("up" if b.name in up else "down") for b in binds}}
    return {"protocol": protocol, "up": bool(getattr(carrier, "is_up", True))}


def store_health(store: Store) -> dict[str, Any]:
    faults = getattr(store, "faults", None)
    return faults.snapshot() if faults is not None else {"status": "ok"}


class Monitor(Service):
    """Holds what /health and /metrics show; refreshes store counts."""

    name = "monitor"

    def __init__(self, store: Store, clock: IReactorTime, *, interval: float = 5.0,
                 cheap: float = CHEAP):
        self.store = store
        self.clock = clock
        self.interval = interval
        self.cheap = cheap
        self.carriers: dict[str, tuple[Any, str]] = {}  # name -> (carrier, protocol)
        self.by_status: dict[str, int] = {}
        self._full_took: float | None = None  # the last count of every status (None: not yet)
        self._since_full = 0  # refreshes since then
        self.sources: dict[str, Callable[[], Mapping[str, Any]]] = {}  # extra stats
        self.refreshed_at: float | None = None
        self.node_id: str | None = None  # [cluster] node_id: /health names the node
        self._refreshes = Periodic(clock, self.refresh, name="health: counting messages")

    def add_carrier(self, name: str, carrier: Any, protocol: str) -> None:
        self.carriers[name] = (carrier, protocol)

    def startService(self):
        super().startService()
        self._refreshes.start(self.interval, now=True)

    def stopService(self):
        self._refreshes.stop()
        return super().stopService()

    def refresh(self):
        """Count the queue; every status too the first time, while that
        count is cheap, and every ``FULL_EVERY``-th refresh since the last one."""
        full = (self._full_took is None or self._full_took <= self.cheap
                or self._since_full + 1 >= FULL_EVERY)
        d = self.store.read(_count_all_timed if full else count_live)

        def got(result):
            if full:
                counts, self._full_took = result
                self._since_full = 0
            else:
                counts = {**self.by_status, **result}
                self._since_full += 1
            self.by_status = {status: n for status, n in counts.items() if n}
            self.refreshed_at = self.clock.seconds()

        d.addCallbacks(got, lambda f: log.warn("health: counting messages failed: {e}",
                                               e=f.getErrorMessage()))
        return d

    @property
    def queue_depth(self) -> int:
        return self.by_status.get(s.QUEUED, 0) + self.by_status.get(s.SENDING, 0)

    def health(self) -> dict[str, Any]:
        carriers = {name: carrier_health(name, c, p) for name, (c, p) in self.carriers.items()}
        ups = [c["up"] for c in carriers.values()]
        status = "ok" if all(ups) else ("degraded" if any(ups) else "down")
        store = store_health(self.store)
        if store["status"] != "ok":
            status = "down"
        return {
            "status": status,
            "store": store,
            "node": self.node_id,
            "carriers": carriers,
            "queue_depth": self.queue_depth,
            "queued": self.by_status.get(s.QUEUED, 0),
            "sending": self.by_status.get(s.SENDING, 0),
            "counted_at": self.refreshed_at,
        }


class HealthResource(JsonErrorsLeaf):
    """Another method is a JSON 405, a path below it a JSON 404."""

    def __init__(self, monitor: Monitor, details_auth: Any = None):
        super().__init__()
        self.monitor = monitor
        self.details_auth = details_auth  # an OpsAuth: the details need its credentials

    def render_GET(self, request):
        body = self.monitor.health()
        request.setResponseCode(503 if body["status"] == "down" else 200)
        if self.details_auth is not None and not _authorized(self.details_auth, request):
            body = {"status": body["status"]}
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-store")
        return json.dumps(body, sort_keys=True).encode() + b"\n"


def _authorized(auth: Any, request) -> bool:
    from gateway.messages.errors import ApiError

    try:
        auth.check(request)
    except ApiError:
        return False
    return True
