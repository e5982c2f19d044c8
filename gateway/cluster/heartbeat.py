"""This node in the cluster: registration, heartbeat, takeover.

Theory of operation:

* ``startService`` reads the ``nodes`` table and refuses to start (raises
  :class:`~gateway.cluster.nodes.NodeRefused`) when ``start_refusal`` says
  so; else it registers this node as live.  It runs right after the store
  starts, before the dispatcher resolves this node's own mid-send messages.
* Every ``heartbeat`` seconds (on the injected clock) a short transaction
  beside the writer's queue (``Store.side_write``) refreshes the heartbeat
  and the bind slots held, so a backlog of writes never makes it late; and
  a writer job (one at a time) marks dead or departed nodes ``gone`` and
  takes over their messages caught in ``sending`` under the mid-send
  policy (``requeue_stuck`` with ``claimed_by``); then ``on_takeover``
  wakes the dispatcher.  A node whose row was reaped while
  it was in fact alive (a heartbeat late by more than the lease)
  re-registers: its messages in flight were taken over and may be sent
  twice, which is the documented bound.
* ``stopService`` stops the beat and writes ``left``: the node's
  remaining ``sending`` messages (if its drain timed out) are taken over by
  a live node at its next beat.
"""
from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.cluster import nodes
from gateway.common.periodic import Periodic
from gateway.config.model import ClusterConfig
from gateway.dispatch.claims import requeue_stuck
from gateway.store.timeutil import from_timestamp
from gateway.store.interface import Store

log = Logger()


def pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def beat_only(conn, node_id: str, host: str, pid: int, now: datetime, binds: int,
              slots=None) -> bool:
    """The heartbeat itself (a store job on this node's row only): was the
    node still live?  If it was reaped meanwhile, it registers again."""
    still_live = nodes.beat(conn, node_id, now, binds, slots)
    if not still_live:
        nodes.register(conn, node_id, host, pid, now)
        nodes.beat(conn, node_id, now, binds, slots)
    return still_live


def take_over(conn, node_id: str, now: datetime, lease_timeout: float,
              policy: str) -> tuple[list[str], list[str]]:
    """Reap dead and departed nodes and take over their messages caught
    mid-send (a writer job): (reaped nodes, sids taken over)."""
    reaped = nodes.reap(conn, node_id, now, lease_timeout)
    sids = requeue_stuck(conn, now, policy=policy, node_id=node_id, claimed_by=reaped) if reaped else []
    return reaped, sids


def beat_and_take_over(conn, node_id: str, host: str, pid: int, now: datetime, lease_timeout: float,
                       policy: str, binds: int, slots=None) -> tuple[bool, list[str], list[str]]:
    """Both in one job: (was still live, reaped nodes, sids taken over)."""
    still_live = beat_only(conn, node_id, host, pid, now, binds, slots)
    return (still_live, *take_over(conn, node_id, now, lease_timeout, policy))


class ClusterNode(Service):
    name = "cluster"

    def __init__(self, store: Store, clock: IReactorTime, config: ClusterConfig, *, sqlite: bool,
                 policy: str = "at-least-once", host: str | None = None, pid: int | None = None,
                 binds: Callable[[], int] = lambda: 0,
                 slots: Callable[[], Any] = lambda: None,
                 on_takeover: Callable[[], Any] | None = None,
                 is_running: Callable[[int], bool] = pid_running):
        self.store = store
        self.clock = clock
        self.config = config
        self.sqlite = sqlite
        self.policy = policy
        self.host = host if host is not None else socket.gethostname()
        self.pid = pid if pid is not None else os.getpid()
        self.binds = binds
        self.slots = slots  # carrier -> bind slots held (None: binds not shared by slots)
        self.on_takeover = on_takeover
        self.is_running = is_running
        self.stats = {"beats": 0, "taken_over": 0, "reaped": 0}
        self._beats = Periodic(clock, self.beat, name="cluster: heartbeat")
        self._taking_over = None  # the takeover job under way, if any
        self._beating = None  # the heartbeat under way, if any

    @property
    def node_id(self) -> str:
        return self.config.node_id

    def startService(self):
        super().startService()
        d = self.store.read(nodes.list_nodes)
        d.addCallback(self._check)
        d.addCallback(lambda _: self.store.write(nodes.register, self.node_id, self.host, self.pid,
                                                 self._now()))
        d.addCallback(self._registered)
        return d

    def _check(self, listed) -> None:
        refusal = nodes.start_refusal(listed, node_id=self.node_id, host=self.host, now=self._now(),
                                      lease_timeout=self.config.lease_timeout, sqlite=self.sqlite,
                                      pid_running=self.is_running)
        if refusal is not None:
            raise nodes.NodeRefused(refusal)

    def _registered(self, _ignored) -> None:
        log.info("cluster: node {node_id} registered (heartbeat {heartbeat}s, lease {lease}s)",
                 node_id=self.node_id, heartbeat=self.config.heartbeat, lease=self.config.lease_timeout)
        if not self.running:
            return
        self._beats.start(self.config.heartbeat, now=False)

    def beat(self):
        """The heartbeat goes beside the writer's queue (``Store.side_write``),
        so a backlog of writes cannot make it late; the takeover, which locks
        messages, is a writer job, one at a time."""
        now = self._now()
        d = self.store.side_write(beat_only, self.node_id, self.host, self.pid, now,
                                  self.binds(), self.slots())
        d.addCallbacks(self._beaten, lambda f: log.failure("cluster: heartbeat failed", f))
        self._beating = d
        d.addBoth(self._beat_done, d)
        if self._taking_over is None:
            self._taking_over = self.store.write(take_over, self.node_id, now,
                                                 self.config.lease_timeout, self.policy)
            self._taking_over.addCallbacks(self._took_over,
                                           lambda f: log.failure("cluster: takeover failed", f))
            self._taking_over.addBoth(self._takeover_done)
        return d

    def _takeover_done(self, _result) -> None:
        self._taking_over = None

    def _beat_done(self, result, d):
        if self._beating is d:
            self._beating = None
        return result

    def _after_beat(self) -> Deferred:
        """Fires once the heartbeat under way (if any) is written: a beat
        that landed after ``leave`` would register the stopped node again."""
        done: Deferred = Deferred()
        if self._beating is None:
            done.callback(None)
        else:
            self._beating.addBoth(lambda result: (done.callback(None), result)[1])
        return done

    def _beaten(self, still_live: bool) -> None:
        self.stats["beats"] += 1
        if not still_live:
            log.warn("cluster: node {node_id} was taken for dead (heartbeat late by more than "
                     "{lease}s); registered again", node_id=self.node_id, lease=self.config.lease_timeout)

    def _took_over(self, result) -> None:
        reaped, sids = result
        if reaped:
            self.stats["reaped"] += len(reaped)
            self.stats["taken_over"] += len(sids)
            log.info("cluster: took over from {nodes}: {count} messages caught mid-send ({policy})",
                     nodes=", ".join(reaped), count=len(sids), policy=self.policy)
            if self.on_takeover is not None:
                self.on_takeover()

    def stopService(self):
        super().stopService()
        self._beats.stop()
        d = self._after_beat()
        d.addCallback(lambda _: self.store.write(nodes.leave, self.node_id, self._now()))
        d.addErrback(lambda f: log.failure("cluster: recording the node's stop failed", f))
        return d

    def _now(self) -> datetime:
        return from_timestamp(self.clock.seconds())
