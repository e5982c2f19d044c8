"""Graceful stop of one ESME connection (a mixin of EsmeProtocol).

Stop taking work (``draining``: ``can_submit`` turns False), wait for the
window to drain, at most ``drain_timeout`` seconds, then unbind, and close
when the unbind_resp comes (or its timeout).  ``when_closed()`` fires when
the connection is gone.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from protocols.smpp.errors import LocalProtocolError
from protocols.smpp.pdu import Unbind

log = Logger()


class GracefulStop:
    clock: Any
    session: Any
    transport: Any
    name: str
    closed: bool
    draining: bool
    outstanding: int
    _closed_waiters: list
    _drained: Deferred | None
    _drain_call: Any

    def flush(self) -> None:
        raise NotImplementedError

    def request(self, pdu: Any, callback: Any, context: Any = None) -> int:
        raise NotImplementedError

    def when_closed(self) -> Deferred:
        if self.closed:
            return succeed(None)
        d: Deferred = Deferred()
        self._closed_waiters.append(d)
        return d

    def drain_and_unbind(self, drain_timeout: float) -> Deferred:
        """Stop taking work, wait (bounded) for the window to drain, unbind, close.

        Fires when the connection is closed.
        """
        if self.closed:
            return succeed(None)
        closed = self.when_closed()
        if not self.draining:
            self.draining = True
            self._drained = Deferred()
            self._drained.addCallback(lambda _: self._unbind())
            self._drain_call = self.clock.callLater(drain_timeout, self._drain_expired)
            self._check_drained()
        return closed

    def _check_drained(self) -> None:
        if self._drained is not None and not self._drained.called and self.outstanding == 0:
            if self._drain_call is not None and self._drain_call.active():
                self._drain_call.cancel()
            self._drain_call = None
            self._drained.callback(None)

    def _drain_expired(self) -> None:
        self._drain_call = None
        log.warn("{bind}: {count} requests still unanswered at unbind",
                 bind=self.name, count=self.outstanding)
        if self._drained is not None and not self._drained.called:
            self._drained.callback(None)

    def _unbind(self) -> None:
        if self.closed:
            return
        if self.session.is_bound:
            try:
                self.request(Unbind(), self._unbind_answered)
                self.flush()
                return
            except LocalProtocolError:
                pass
        self.transport.loseConnection()

    def _unbind_answered(self, *_: Any) -> None:
        if not self.closed:
            self.transport.loseConnection()
