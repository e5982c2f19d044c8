"""The gateway's one schema, shared by SQLite (embedded) and PostgreSQL.

Rules of the store:

* A message row exists before the API answers 201; every later change is a
  status transition recorded both on the row and in ``status_events``.
* Each outbound SMS part has a ``segments`` row holding the SMSC's message_id
  as sent (``smsc_message_id``) and one row per *match key* in
  ``segment_ids`` (see ``gateway.sms.receipts.correlation``) so that a receipt finds its
  part whatever the id's spelling (hex/decimal, case, leading zeros) and
  whichever bind or carrier it arrives on.
* Callbacks (status and inbound ``sms_url``) go through the durable
  ``callback_outbox``: a row is written in the same transaction as the status
  change that causes it and deleted (``state='done'``) once delivered.
* Receipts that match nothing yet (early, or never) are kept in
  ``pending_receipts``; inbound concatenated parts wait in ``inbound_parts``.

Times are stored as timezone-aware UTC datetimes.  Money is stored as text
(decimal string) to stay exact.  The schema is created and migrated by
Alembic (``gateway/store/migrations``), never by ``metadata.create_all`` in
production code.
"""
from __future__ import annotations

from sqlalchemy import (
    event, JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer,
    LargeBinary, MetaData, String, Table, Text, literal_column, text,
)

# Status values (API vocabulary): the lifecycle's, re-exported for the SQL modules.
from gateway.messages.lifecycle import (  # noqa: F401
    DELIVERED, FAILED, FINAL_STATUSES, QUEUED, RECEIVED, SENDING, SENT, UNDELIVERED,
)

from .notify_triggers import create_notify_triggers
from .outbox_triggers import DUE_WHERE, create_head_triggers
from .triggers import create_count_triggers

# What ix_messages_failed_updated holds; a query spells it so for its planner.
FAILED_WHERE = f"status IN ('{FAILED}', '{UNDELIVERED}')"
# The status ix_messages_status_next holds, as a SQL literal: against a bound
# parameter the planner cannot tell that the partial index covers a query.
QUEUED_LITERAL = literal_column(f"'{QUEUED}'")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


messages = Table(
    "messages",
    metadata,
    Column("sid", String(34), primary_key=True),  # "SM" + 32 hex (or "MM" for MMS)
    Column("account_sid", String(64), nullable=False),
    # Which API created it: "messages" (/Messages) or "sms" (/SMS/Messages);
    # decides the resource shape, the uri and which callbacks fire.
    Column("api", String(16), nullable=False, default="messages"),
    Column("direction", String(16), nullable=False),  # outbound-api | inbound
    Column("channel", String(8), nullable=False),  # sms | mms
    Column("from_", String(64), nullable=False),  # as given: "+1555..." or "Alpha Name"
    Column("to", String(64), nullable=False),  # E.164 "+1555..."
    Column("body", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("num_segments", Integer, nullable=False, default=1),
    Column("num_media", Integer, nullable=False, default=0),
    Column("media_list", JSON, nullable=False, default=list),  # [{"url":..,"content_type":..}]
    Column("status_callback", Text, nullable=True),
    Column("status_callback_method", String(8), nullable=True),
    Column("validity_period", Integer, nullable=True),  # seconds
    Column("max_price", String(32), nullable=True),
    # The [[messaging_services]] entry named at creation (it may have chosen From).
    Column("messaging_service_sid", String(34), nullable=True),
    Column("price", String(32), nullable=True),
    Column("price_unit", String(8), nullable=True),
    Column("error_code", Integer, nullable=True),
    Column("error_message", Text, nullable=True),
    Column("carrier", String(64), nullable=True),  # carrier that took it / it came from
    Column("carrier_stat", String(32), nullable=True),  # raw receipt stat, for support
    Column("carrier_err", String(64), nullable=True),  # raw receipt err, for support
    Column("mm7_message_id", String(128), nullable=True),  # MMSC MessageID (MMS)
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),  # created + validity
    Column("incomplete", Boolean, nullable=False, default=False),  # inbound, parts missing
    Column("date_created", DateTime(timezone=True), nullable=False),
    Column("date_updated", DateTime(timezone=True), nullable=False),
    Column("date_sent", DateTime(timezone=True), nullable=True),
    # The cluster node whose dispatcher claimed it (gateway.cluster): who
    # resolves it if it is caught in ``sending``.
    Column("claimed_by", String(128), nullable=True),
    # Listing and keyset paging within an account: every sort key of the API
    # (DateCreated, Status, To, From, Direction) is followed by the tie
    # breakers (date_created, sid), so "ORDER BY key, date_created, sid" and
    # the keyset predicate "(key, date_created, sid) < (...)" walk one index.
    Index("ix_messages_account_created", "account_sid", "date_created", "sid"),
    Index("ix_messages_account_status", "account_sid", "status", "date_created", "sid"),
    # ``channel`` trails To/From so that "mms:+1%" filters and their COUNT are
    # answered from the index alone.
    Index("ix_messages_account_to", "account_sid", "to", "date_created", "sid", "channel"),
    Index("ix_messages_account_from", "account_sid", "from_", "date_created", "sid", "channel"),
    Index("ix_messages_account_direction", "account_sid", "direction", "date_created", "sid"),
    # The dispatcher's queue scan (next_attempt_at is set on insert); the
    # validity-period sweep uses it too.  Partial: only queued messages are
    # in it, so a message's later transitions (sending, sent, delivered...)
    # do not move an entry in it; the restart sweep (status = 'sending',
    # once at start) reads ix_messages_account_status instead.  A query
    # must spell the status as a literal (not a bound parameter) for the
    # planner to know that the index covers it.
    Index("ix_messages_status_next", "status", "next_attempt_at",
          sqlite_where=text("status = 'queued'"),
          postgresql_where=text("status = 'queued'")),
    # MM7 delivery reports: only MMS rows carry an MMSC id.
    Index("ix_messages_mm7_id", "mm7_message_id",
          sqlite_where=text("mm7_message_id IS NOT NULL"),
          postgresql_where=text("mm7_message_id IS NOT NULL")),
    Index("ix_messages_failed_updated", "date_updated", "sid",  # the console's recent failures
          sqlite_where=text(FAILED_WHERE), postgresql_where=text(FAILED_WHERE)),
)

# Messages per (account, channel), kept by database triggers on ``messages``
# (gateway.store.triggers), so an unfiltered list's ``total`` is a lookup
# instead of a COUNT over a million index entries.  On SQLite (one writer)
# the triggers update ``message_counts`` itself.  On PostgreSQL they append
# to ``message_count_deltas`` instead, so that no two nodes' writers wait on
# (or deadlock over) one counts row; a periodic fold moves the deltas into
# ``message_counts``, and a count is the row plus its deltas
# (gateway.store.counts).
message_counts = Table(
    "message_counts",
    metadata,
    Column("account_sid", String(64), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("n", BigInteger, nullable=False, default=0),
)

message_count_deltas = Table(
    "message_count_deltas",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account_sid", String(64), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("n", BigInteger, nullable=False),  # + messages inserted, - deleted
    Index("ix_message_count_deltas_account_sid_channel", "account_sid", "channel"),
)

segments = Table(
    "segments",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_sid", String(34), ForeignKey("messages.sid"), nullable=False),
    Column("seqno", Integer, nullable=False),  # 1-based
    Column("total", Integer, nullable=False),
    Column("carrier", String(64), nullable=True),
    Column("bind", String(64), nullable=True),
    Column("smsc_message_id", String(128), nullable=True),  # as received in submit_sm_resp
    # Per-part delivery state from receipts: None until a receipt arrives.
    Column("status", String(16), nullable=True),
    Column("error_code", Integer, nullable=True),
    Column("stat", String(32), nullable=True),
    Column("err", String(64), nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    Column("receipt_at", DateTime(timezone=True), nullable=True),
    Index("ix_segments_message", "message_sid", "seqno"),
)

# Match keys of a segment's SMSC message id (see gateway.sms.receipts.correlation.match_keys).
segment_ids = Table(
    "segment_ids",
    metadata,
    Column("key", String(160), nullable=False),
    Column("segment_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("segments.id"), nullable=False),
    Column("account_sid", String(64), nullable=False),
    Index("ix_segment_ids_key", "key"),
    # The foreign key's look-up when a segment is deleted (retention).
    Index("ix_segment_ids_segment_id", "segment_id"),
)

status_events = Table(
    "status_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_sid", String(34), nullable=False),
    Column("status", String(16), nullable=False),
    Column("error_code", Integer, nullable=True),
    Column("detail", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_status_events_message", "message_sid", "id"),
)

callback_outbox = Table(
    "callback_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_sid", String(34), nullable=False),
    Column("kind", String(16), nullable=False),  # status | inbound | action
    Column("url", Text, nullable=False),
    Column("method", String(8), nullable=False),  # GET | POST
    Column("params", JSON, nullable=False),  # list of [name, value] pairs (repeats allowed)
    Column("state", String(8), nullable=False, default="pending"),  # pending | done | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    # The HTTP status of the latest attempt's answer; null while no attempt
    # was answered (not sent yet, a connection error, a timeout).
    Column("http_status", Integer, nullable=True),
    # 1 on the lowest pending row of its message (kept by triggers, see
    # gateway.store.outbox_triggers): the only row of the message that may go.
    Column("head", Integer, nullable=False, default=0, server_default=text("0")),
    # In order per message: the lowest pending id of a message goes first.
    Index("ix_callback_outbox_state_next", "state", "next_attempt_at"),
    Index("ix_callback_outbox_message", "message_sid", "id"),
    # The due rows, in due order, without looking at rows held back.
    Index("ix_callback_outbox_due", "next_attempt_at", "id",
          sqlite_where=text(DUE_WHERE), postgresql_where=text(DUE_WHERE)),
)

pending_receipts = Table(
    "pending_receipts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account_sid", String(64), nullable=True),
    Column("carrier", String(64), nullable=False),
    Column("message_id", String(128), nullable=False),  # as received
    Column("keys", JSON, nullable=False),  # match keys
    Column("receipt", JSON, nullable=False),  # the parsed Receipt as a dict
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("state", String(12), nullable=False, default="waiting"),  # waiting | applied | unmatched
    # The waiting rows, without reading those applied or given up (migration 0014).
    Index("ix_pending_receipts_state", "state", "id"),
)

inbound_parts = Table(
    "inbound_parts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("group_key", String(200), nullable=False),  # source|destination|reference
    Column("carrier", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("destination", String(64), nullable=False),
    Column("reference", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("seqno", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_inbound_parts_group", "group_key", "seqno"),
)

media = Table(
    "media",
    metadata,
    Column("sid", String(34), primary_key=True),  # "ME" + 32 hex
    Column("message_sid", String(34), nullable=False),
    Column("account_sid", String(64), nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("filename", String(256), nullable=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_media_message", "message_sid"),
)

# The cluster's nodes (gateway.cluster.nodes): one row per node id.  A node
# is alive while ``state`` is "live" and its heartbeat is younger than the
# lease timeout; "left" after a clean stop, "gone" once another node has
# taken over what it held.
nodes = Table(
    "nodes",
    metadata,
    Column("node_id", String(128), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("state", String(8), nullable=False),  # live | left | gone
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_heartbeat", DateTime(timezone=True), nullable=False),
    Column("binds", Integer, nullable=False, default=0),  # bind slots held
    # Which: {carrier: [slot, ...]} as of the last heartbeat; null when the
    # node does not share binds through slots (SQLite).
    Column("slots", JSON, nullable=True),
)


# The counter triggers are created by migrations 0002 and 0013, and by
# create_all (tests) through this DDL event, once both tables they write exist.
event.listen(message_count_deltas, "after_create", create_count_triggers)
event.listen(callback_outbox, "after_create", create_head_triggers)
event.listen(messages, "after_create", create_notify_triggers)
