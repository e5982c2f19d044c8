"""Recording the result of each callback request in the outbox.

Rules:

* 2xx -> done; done rows are written in batches (one UPDATE per reactor
  turn).  Connection errors, timeouts and 5xx -> retried with exponential
  backoff (``initial_backoff`` doubling up to ``max_backoff``) until
  ``retry_for`` seconds after the row was created, then dead.  Other
  answers (3xx, 4xx) and an address the SSRF guard refuses -> dead at
  once: retrying cannot help.  Dead is recorded once, logged once and
  counted in ``stats["dead"]``.
* A 200 answer to an ``inbound`` row (an sms_url) or an ``action`` row (an
  RCML ``<Message action>``) carries an RCML document: it is handed to the
  reply hook (``apply_rcml_reply``, with the URL that answered, for
  relative URLs) in the same write that marks the row done.  RCML that
  does not apply is logged and ignored: the callback itself succeeded.
* Every write is held in ``writes`` until it ends; then ``on_settled`` is
  called once per recorded row (done | retry | dead) and the rows are
  handed to ``released``, whether the write succeeded or not (a failed
  write leaves them pending).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.callbacks import outbox
from gateway.config.model import CallbacksConfig
from gateway.mms.guard import BlockedAddress
from gateway.store.timeutil import from_timestamp, utc
from gateway.store.interface import Store

log = Logger()

MAX_RESPONSE_BYTES = 256 * 1024  # an RCML answer is small
RCML_KINDS = ("inbound", "action")  # rows whose 200 answer is RCML to follow


def backoff(attempts: int, config: CallbacksConfig) -> float:
    """Seconds to wait after the *attempts*-th failed try (1-based)."""
    return min(config.max_backoff, config.initial_backoff * (2 ** max(0, attempts - 1)))


class Results:
    """The outbox writes of the callback sender, and its counters."""

    def __init__(self, store: Store, clock: IReactorTime, config: CallbacksConfig,
                 released: Callable[[list[int]], Any], *,
                 reply_hook: Callable[..., Any] | None = None,
                 on_new_messages: Callable[[list], Any] | None = None,
                 on_settled: Callable[[str], Any] | None = None):
        self.store = store
        self.clock = clock
        self.config = config
        self.released = released  # called with the row ids once their write ended
        self.reply_hook = reply_hook
        self.on_new_messages = on_new_messages
        self.on_settled = on_settled
        self.stats = {"sent": 0, "retried": 0, "dead": 0}
        self.writes: set[Deferred] = set()  # result writes in flight
        self._done: list[tuple[int, int]] = []  # (id, 2xx status) waiting for the batch write
        self._flush = None

    @property
    def idle(self) -> bool:
        """Nothing waits for the batch write and no write is in flight."""
        return not self.writes and not self._done

    def answered(self, row, url, code: int, body: bytes | None) -> None:
        if 200 <= code < 300:
            self.stats["sent"] += 1
            if row["kind"] in RCML_KINDS and code == 200 and body and self.reply_hook is not None:
                d = self.store.write(_done_job, row["id"], row["message_sid"], body[:MAX_RESPONSE_BYTES],
                                     self._now(), self.reply_hook, url.text, code)
                self._record(d.addCallback(self._replied), [row["id"]], "done")
            else:
                self._queue_done(row, code)
        elif code >= 500:
            self.retry(row, url, f"HTTP {code}", code)
        else:
            self.dead(row, url, f"HTTP {code}", http_status=code)

    def failed(self, row, url, failure) -> None:
        """No HTTP answer: dead if the guard refused the address, else retried."""
        if failure.check(BlockedAddress) or _blocked(failure):
            self.dead(row, url, "blocked: not a public address (see [callbacks] allow_hosts)")
        else:
            self.retry(row, url, failure.getErrorMessage() or failure.type.__name__)

    def retry(self, row, url, error: str, http_status: int | None = None) -> None:
        now = self._now()
        due = now + timedelta(seconds=backoff(row["attempts"] + 1, self.config))
        if due > utc(row["created_at"]) + timedelta(seconds=self.config.retry_for):
            self.dead(row, url, error, gave_up=True, http_status=http_status)
            return
        self.stats["retried"] += 1
        d = self.store.write(outbox.callback_retry, row["id"], next_attempt_at=due, error=error,
                             http_status=http_status)
        self._record(d, [row["id"]], "retry")

    def dead(self, row, url, error: str, *, gave_up: bool = False, http_status: int | None = None) -> None:
        self.stats["dead"] += 1
        where = url.safe if url is not None else "a callback URL"
        if gave_up:
            log.warn("callbacks: giving up on {url} after {attempts} attempts: {error}",
                     url=where, attempts=row["attempts"] + 1, error=error)
        else:
            log.warn("callbacks: {url} failed: {error}; not retried", url=where, error=error)
        d = self.store.write(outbox.callback_dead, row["id"], error=error, http_status=http_status)
        self._record(d, [row["id"]], "dead")

    def postpone(self, ids: list[int], seconds: float) -> None:
        """Move the rows *seconds* later in the outbox (not a result: nothing is counted)."""
        until = self._now() + timedelta(seconds=seconds)
        self._record(self.store.write(outbox.callbacks_deferred, ids, until=until), ids, None)

    def flush(self) -> None:
        """Write the done rows now (one UPDATE for all of them)."""
        if self._flush is not None and self._flush.active():
            self._flush.cancel()
        self._flush = None
        done, self._done = self._done, []
        if done:
            ids = [row_id for row_id, _status in done]
            self._record(self.store.write(outbox.callbacks_done, ids, dict(done)), ids, "done",
                         count=len(ids))

    def _queue_done(self, row, http_status: int) -> None:
        self._done.append((row["id"], http_status))
        if self._flush is None:
            self._flush = self.clock.callLater(0, self.flush)

    def _record(self, d: Deferred, ids: list[int], what: str | None, count: int = 1) -> None:
        self.writes.add(d)

        def recorded(_):
            for _i in range(count if what is not None else 0):
                if self.on_settled is not None:
                    self.on_settled(what)

        def failed(failure):
            log.failure("callbacks: recording a result failed (the rows stay pending)", failure)

        def finally_(_):
            self.writes.discard(d)
            self.released(ids)

        d.addCallbacks(recorded, failed).addBoth(finally_)

    def _replied(self, sids) -> None:
        if sids and self.on_new_messages is not None:
            self.on_new_messages(sids)

    def _now(self):
        return from_timestamp(self.clock.seconds())


def _blocked(failure) -> bool:
    """A BlockedAddress wrapped by the agent (e.g. in a ConnectError)."""
    reasons = getattr(failure.value, "reasons", None) or ()
    return any(r.check(BlockedAddress) for r in reasons) or "not a public address" in str(failure.value)


def _done_job(conn, callback_id: int, message_sid: str, body: bytes, now, reply_hook,
              base_url: str | None = None, http_status: int = 200):
    outbox.callback_done(conn, callback_id, http_status)
    savepoint = conn.begin_nested()
    try:
        sids = reply_hook(conn, message_sid, body, now=now, base_url=base_url)
    except Exception as e:  # malformed RCML: the callback itself succeeded
        savepoint.rollback()
        log.warn("callbacks: RCML reply to {sid} ignored: {error}", sid=message_sid, error=e)
        return []
    savepoint.commit()
    return list(sids or [])
