"""Receipts applied in batches: one store job per reactor turn.

:class:`BatchingDeliverHandler` sits in front of the receipts team's
``DeliverHandler``: every deliver_sm that parses as a receipt is buffered
for one reactor turn and the batch is applied in ONE store job
(:func:`apply_receipts`); MO messages and unreadable PDUs go to the
wrapped handler unchanged.  Each receipt's Deferred fires after the job's
commit, so deliver_sm_resp still follows the durable write (or a temporary
error lets the SMSC redeliver).

When the store cannot write (a store fault: disk full, database gone), the
receipts are answered with that temporary error *and* held
(``gateway.store.held``, at most ``max_held``) and applied again, with a
growing backoff, once the store writes: an SMSC that gives up redelivering
does not leave their messages in ``sent``.  Applying a receipt twice (held
and redelivered) changes nothing the second time (a part's final status is
set once).

:func:`apply_receipts` keeps the receipts store's rules and does the common
case -- a single-part message whose part matches the receipt -- in a few
executemany statements: one lookup of all match keys, one UPDATE of the
parts, ``transition_many`` for the messages.  Everything else (multi-part
messages, no match yet, a part already final, a second receipt for the same
part in the batch) goes through ``receipts_store.apply_receipt`` one by
one, after the fast ones, in arrival order.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.engine import Connection
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from gateway.sms.receipts import correlation

from gateway.sms.receipts import store as receipts_store
from gateway.sms.receipts.correlation import exact_key, match_keys
from gateway.store.faults import is_fault
from gateway.store.held import Held
from gateway.messages.store import transition_many
from gateway.store import schema as s
from gateway.store.prepared import Prepared
from gateway.store.timeutil import from_timestamp
from gateway.sms.receipts.translator import DEFAULT_PROFILE, ERROR_MESSAGES, translate
from gateway.store.interface import Store
from protocols.smpp.receipt import ReceiptError, parse_pdu

log = Logger()
_PART_FINAL = correlation.PART_FINAL
KEY_CHUNK = 900


# What the fast path and ``correlation.best_part`` read of a candidate part (no timestamps),
# with its message's brief row (what ``transition_many`` needs), so the
# batch reads no message rows by sid afterwards.
_M = s.messages
_CANDIDATES = (
    select(s.segments.c.id, s.segments.c.message_sid, s.segments.c.total, s.segments.c.status,
           s.segments.c.error_code, s.segments.c.carrier, s.segment_ids.c.key,
           _M.c.status.label("m_status"), _M.c.date_sent, _M.c.status_callback, _M.c.api,
           _M.c.direction, _M.c.num_segments)
    .join(s.segment_ids, s.segment_ids.c.segment_id == s.segments.c.id)
    .join(_M, _M.c.sid == s.segments.c.message_sid)
    .where(s.segment_ids.c.key.in_(bindparam("keys", expanding=True))))


def _brief(candidate) -> dict:
    """The message's brief row (``load_rows(..., brief=True)``'s shape) from a candidate."""
    return {"sid": candidate["message_sid"], "status": candidate["m_status"],
            "date_sent": candidate["date_sent"], "status_callback": candidate["status_callback"],
            "api": candidate["api"], "direction": candidate["direction"],
            "num_segments": candidate["num_segments"]}


# PostgreSQL: the same rows, read key by key through the indexes whatever
# the statistics say.  Where autovacuum is off (or has not run yet) the
# planner takes ``key IN (...)`` for a large share of ``segment_ids`` and
# hash-joins sequential scans of all three tables, so each receipt batch
# reads every stored message.  A LATERAL subquery with OFFSET 0 is not
# flattened into the join: it runs once per key, with the key as a
# parameter, and an equality on an indexed column is an index scan.  Like
# every statement of the store, it is planned afresh at each execution
# (``plan_cache_mode``, set on every connection by ``gateway.store.engine``),
# so no generic plan made while the tables were small is kept as they grow.
_PG_CANDIDATES = text("""
SELECT seg.id, seg.message_sid, seg.total, seg.status, seg.error_code, seg.carrier, si.key,
       m.status AS m_status, m.date_sent, m.status_callback, m.api, m.direction, m.num_segments
FROM unnest(CAST(:keys AS text[])) AS k(key)
CROSS JOIN LATERAL (SELECT segment_id, key FROM segment_ids WHERE key = k.key OFFSET 0) AS si
CROSS JOIN LATERAL (SELECT * FROM segments WHERE id = si.segment_id OFFSET 0) AS seg
CROSS JOIN LATERAL (SELECT * FROM messages WHERE sid = seg.message_sid OFFSET 0) AS m
""").columns(**{c.name: c.type for c in _CANDIDATES.selected_columns})


def _candidates(conn: Connection, keys: set[str]) -> dict[str, list]:
    by_key: dict[str, list] = {}
    keys = sorted(keys)
    query = _PG_CANDIDATES if conn.dialect.name == "postgresql" else _CANDIDATES
    for start in range(0, len(keys), KEY_CHUNK):
        for row in conn.execute(query, {"keys": keys[start:start + KEY_CHUNK]}).mappings():
            by_key.setdefault(row["key"], []).append(row)
    return by_key


def _lookup(conn: Connection, items: list[tuple[str, str, Any]]) -> list[list]:
    """Each receipt's candidate parts: what ``correlation.best_part`` needs to
    choose the same part as it would from the rows of all its match keys.

    First only the receipts' exact keys (the id as spelled, ``exact_key``):
    one index probe and one part per receipt in the common case, instead of
    every spelling of the id, each finding the same part again.  A receipt
    whose exact key found a part of its own carrier is settled by those rows:
    any row found under another spelling ranks after them (``rank_key``:
    same carrier, then exact spelling).  Every other receipt is looked up
    under all its keys, as before."""
    keys = [match_keys(r.message_id or "") for _, _, r in items]
    exact = [exact_key(r.message_id or "") for _, _, r in items]
    first = {e for e, k in zip(exact, keys) if e in k}
    by_key = _candidates(conn, first) if first else {}
    settled = [e in first and any(row["carrier"] == carrier for row in by_key.get(e, ()))
               for (carrier, _, _), e in zip(items, exact)]
    looked = [correlation.lookup_keys(k) if not done else ()
              for k, done in zip(keys, settled)]
    rest = set().union(*looked) - first
    if rest:
        by_key.update(_candidates(conn, rest))
    return [list(by_key.get(e, ())) if done else [row for key in k for row in by_key.get(key, ())]
            for k, e, done in zip(looked, exact, settled)]


def apply_receipts(conn: Connection, items: list[tuple[str, str, Any]], *, now: datetime,
                   profiles: Mapping[str, Any] | None = None) -> list[str]:
    """Apply (carrier, bind, receipt) items; return "applied" | "waiting" for each."""
    profiles = profiles or {}
    candidates = _lookup(conn, items) if items else []
    chosen: dict[int, tuple] = {}
    used: set[int] = set()
    for index, ((carrier, _bind, receipt), rows) in enumerate(zip(items, candidates)):
        segment = correlation.best_part(rows, receipt.message_id or "", carrier)
        if (segment is not None and segment["id"] not in used and segment["total"] == 1
                and segment["status"] not in _PART_FINAL):
            used.add(segment["id"])
            chosen[index] = (segment, translate(receipt, profiles.get(carrier, DEFAULT_PROFILE)))
    messages = {segment["message_sid"]: _brief(segment) for segment, _ in chosen.values()}
    fast = {i: v for i, v in chosen.items()
            if (messages.get(v[0]["message_sid"]) or {}).get("num_segments", 2) <= 1}
    _apply_fast(conn, list(fast.values()), messages, now)
    results = []
    for index, (carrier, bind, receipt) in enumerate(items):
        if index in fast:
            results.append(receipts_store.APPLIED)
            continue
        applied = receipts_store.apply_receipt(conn, receipt, carrier=carrier, now=now,
                                               profiles=profiles, bind=bind)
        results.append(applied.state)
    return results


_seg, _msg = s.segments, s.messages
_UPDATE_PARTS = Prepared(
    update(_seg).where(_seg.c.id == bindparam("b_id")).values(
        receipt_at=bindparam("receipt_at", type_=_seg.c.receipt_at.type),
        stat=bindparam("stat", type_=_seg.c.stat.type), err=bindparam("err", type_=_seg.c.err.type),
        status=bindparam("status", type_=_seg.c.status.type),
        error_code=bindparam("error_code", type_=_seg.c.error_code.type)),
    ("b_id", "receipt_at", "stat", "err", "status", "error_code"))
_NOTE_MESSAGES = Prepared(
    update(_msg).where(_msg.c.sid == bindparam("b_sid")).values(
        carrier_stat=bindparam("carrier_stat", type_=_msg.c.carrier_stat.type),
        carrier_err=bindparam("carrier_err", type_=_msg.c.carrier_err.type)),
    ("b_sid", "carrier_stat", "carrier_err"))


def _apply_fast(conn: Connection, chosen: list[tuple], messages, now: datetime) -> None:
    if not chosen:
        return
    parts, changes, notes = [], [], []
    for segment, outcome in chosen:
        values = {"b_id": segment["id"], "receipt_at": now, "stat": outcome.stat, "err": outcome.err,
                  "status": segment["status"], "error_code": segment["error_code"]}
        if outcome.final:
            values.update(status=outcome.status, error_code=outcome.error_code)
            changes.append({"sid": segment["message_sid"], "status": outcome.status,
                            "error_code": outcome.error_code,
                            "error_message": ERROR_MESSAGES.get(outcome.error_code) if outcome.error_code else None,
                            "carrier_stat": outcome.stat, "carrier_err": outcome.err})
        elif messages[segment["message_sid"]]["status"] not in s.FINAL_STATUSES:
            notes.append({"b_sid": segment["message_sid"], "carrier_stat": outcome.stat,
                          "carrier_err": outcome.err})
        parts.append(values)
    _UPDATE_PARTS.run(conn, parts)
    _NOTE_MESSAGES.run(conn, notes)
    transition_many(conn, changes, now=now, rows=messages)


class BatchingDeliverHandler:
    def __init__(self, handler: Any, store: Store, clock: Any, *, max_batch: int = 5000,
                 max_held: int = 100_000):
        self.handler = handler  # the receipts team's DeliverHandler (MO, sweeps, stats)
        self.store = store
        self.clock = clock
        self.max_batch = max_batch
        self.held = Held(clock, self._apply_held, "receipts", limit=max_held)
        self._buffer: list[tuple[str, str, Any, Deferred]] = []
        self._call = None

    @property
    def stats(self) -> dict:
        return self.handler.stats

    def __call__(self, carrier: str, bind: str, pdu: Any) -> Deferred | None:
        try:
            receipt = parse_pdu(pdu)
        except (ReceiptError, Exception):
            return self.handler(carrier, bind, pdu)  # it logs and counts the unreadable
        if receipt is None:
            return self.handler(carrier, bind, pdu)
        self.handler.stats["receipts"] += 1
        if receipt.ignored:
            self.handler.note_ignored(carrier, bind, receipt)
        d: Deferred = Deferred()
        self._buffer.append((carrier, bind, receipt, d))
        if len(self._buffer) >= self.max_batch:
            self._flush()
        elif self._call is None:
            self._call = self.clock.callLater(0, self._flush)
        return d

    def _flush(self) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        items = [(carrier, bind, receipt) for carrier, bind, receipt, _ in batch]
        d = self.store.write(apply_receipts, items, now=from_timestamp(self.clock.seconds()),
                             profiles=self.handler.profiles)
        d.addCallbacks(self._applied, self._failed, callbackArgs=(batch,), errbackArgs=(batch,))

    def _apply_held(self, items: list) -> None:
        d = self.store.write(apply_receipts, items, now=from_timestamp(self.clock.seconds()),
                             profiles=self.handler.profiles)
        batch = [(carrier, bind, receipt, None) for carrier, bind, receipt in items]
        d.addCallbacks(self._applied, self._failed, callbackArgs=(batch,), errbackArgs=(batch,))

    def stop(self) -> None:
        """Stop retrying held receipts (the SMSC redelivers them)."""
        self.held.stop()

    def _applied(self, states: list[str], batch) -> None:
        stats = self.handler.stats
        if any(d is None for *_rest, d in batch):
            self.held.written(len(batch))
        for state, (carrier, _bind, receipt, d) in zip(states, batch):
            if state == receipts_store.APPLIED:
                stats["receipts_applied"] += 1
            else:
                stats["receipts_waiting"] += 1
                log.info("receipt {message_id} from {carrier} matches no part yet; kept",
                         message_id=receipt.message_id, carrier=carrier)
            if d is not None:  # None: a held receipt, answered already
                d.callback(None)

    def _failed(self, failure, batch) -> None:
        if is_fault(failure.value):  # the store logs its episode; we hold them
            self.held.hold([(carrier, bind, receipt) for carrier, bind, receipt, _d in batch], failure)
        else:
            log.failure("receipts: applying {count} receipts failed; the SMSC will redeliver", failure,
                        count=len(batch))
        for *_rest, d in batch:
            if d is not None:
                d.errback(failure)
