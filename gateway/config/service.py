"""The daemon's own sections: [store], [pipeline], [cluster], [callbacks],
[media], [receipts] and [log].

Each key's default, bounds and doc are declared once, on its field
(``gateway.config.fields``); a reader here adds only what one key cannot say
alone (a URL scheme, one key bounded by another).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from gateway.config import fields
from gateway.config.fields import setting
from gateway.config.read import Table

# "process" is still read, as "thread" (the daemon logs a notice): operators'
# configs written when it was the default keep working.
STORE_WRITERS = ("thread", "process")
MID_SEND_POLICIES = ("at-least-once", "at-most-once")
LOG_LEVELS = ("debug", "info", "warn", "error")


@dataclass(frozen=True)
class StoreConfig:
    url: str = setting("sqlite:///var/gateway.db", nonempty=True,
                       doc="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://...")
    writer: str = setting("thread", choices=STORE_WRITERS,
                          doc="the store's SQL runs on its writer thread in the daemon; \"process\" is read as \"thread\"")
    retention_days: float | None = setting(None, positive=True,
                                           doc="delete final messages older than this many days (unset: keep)")
    # The writer's RSS levels off at about 90 MB plus these (README, "Growth and memory").
    cache_mb: int = setting(32, lo=1, hi=65536, doc="SQLite: the writer's page cache (MB)")
    mmap_mb: int = setting(64, lo=0, hi=1 << 20,
                           doc="SQLite: the writer's memory-mapped window of the file (MB; 0: no mmap)")


@dataclass(frozen=True)
class PipelineConfig:
    poll_interval: float = setting(1.0, positive=True,
                                   doc="seconds between queue scans when nothing woke the dispatcher")
    batch_size: int = setting(500, lo=1, hi=100000, doc="messages claimed per store round trip")
    max_in_flight: int = setting(5000, lo=1, doc="messages being submitted at once, over all carriers")
    mid_send_policy: str = setting("at-least-once", choices=MID_SEND_POLICIES,
                                   doc="messages found in `sending` at start: send again, or fail with 30008")


def _host_name() -> str:
    import socket

    return socket.gethostname()


@dataclass(frozen=True)
class ClusterConfig:
    """[cluster]: this node's id, its heartbeat period and the lease after
    which a silent node counts as dead (s)."""
    node_id: str = setting(factory=_host_name, max_len=128, nonempty=True, shown="the host name",
                           doc="this node's id; two live nodes may not share one")
    heartbeat: float = setting(2.0, positive=True, doc="seconds between this node's heartbeats")
    lease_timeout: float = setting(10.0, positive=True,
                                   doc="seconds without a heartbeat after which a node counts as dead")


@dataclass(frozen=True)
class CallbacksConfig:
    retry_for: float = setting(86400.0, lo=0, doc="seconds after queueing that a failing callback is retried")
    initial_backoff: float = setting(1.0, positive=True, doc="first wait before a retry, then doubling")
    max_backoff: float = setting(600.0, positive=True, doc="longest wait between retries")
    timeout: float = setting(15.0, positive=True, doc="seconds per request")
    concurrency: int = setting(32, lo=1, hi=1024, doc="requests in flight, over all hosts")
    poll_interval: float = setting(1.0, positive=True, doc="seconds between outbox scans")
    # A failing host gets one request at a time.
    per_host_concurrency: int = setting(16, lo=1, hi=1024,
                                        doc="requests in flight toward one host, and connections kept open to it")
    connect_timeout: float = setting(5.0, positive=True, doc="seconds to open a connection")
    allow_hosts: tuple[str, ...] = setting((), doc='internal hosts callbacks may reach ("host" or "host:port")')


@dataclass(frozen=True)
class MediaConfig:
    allow_private_addresses: bool = setting(False, doc="fetch media from private addresses (labs and tests)")
    fetch_timeout: float = setting(20.0, positive=True, doc="seconds per media fetch")
    max_bytes: int = setting(5 << 20, lo=1024, doc="largest media fetched (bytes)")
    max_redirects: int = setting(3, lo=0, hi=20, doc="redirects followed per fetch")
    min_image_quality: int = setting(40, lo=1, hi=95, doc="downscaling never writes a JPEG below this quality")
    min_image_side: int = setting(160, lo=1, hi=10000,
                                  doc="... nor an image whose long side is under this (pixels)")


@dataclass(frozen=True)
class ReceiptSettings:
    """The gateway-wide ``[receipts]`` timers (seconds)."""

    early_window: float = setting(600.0, positive=True,
                                  doc="an early receipt waits this long for its submit_sm_resp")
    missing_segment_timeout: float = setting(172800.0, positive=True,
                                             doc="then silent parts make the message undelivered (30009)")
    reassembly_timeout: float = setting(600.0, positive=True, doc="inbound parts wait this long for the rest")
    sweep_interval: float = setting(30.0, positive=True, doc="seconds between the sweeps of these timers")

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any] | None) -> "ReceiptSettings":
        table = dict(table or {})
        table.pop("profiles", None)  # the profiles file: read by gateway.sms.receipts.profiles.read
        declared = {f.name: key for f, key in fields.keys(cls)}
        unknown = set(table) - set(declared)
        if unknown:
            raise ValueError(f"[receipts]: unknown key(s) {', '.join(sorted(unknown))}")
        for name, value in table.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    (declared[name].positive and value <= 0):
                raise ValueError(f"[receipts] {name}: must be a positive number of seconds")
        return cls(**{name: float(value) for name, value in table.items()})


@dataclass(frozen=True)
class ReceiptProfiles:
    """[receipts] ``profiles``, read by ``gateway.sms.receipts.profiles``."""
    profiles: str | None = setting(None, kind="custom",
                                   doc="a directory of NAME.toml receipt profiles, or one file of [profiles.NAME]")


@dataclass(frozen=True)
class LogConfig:
    level: str = setting("info", choices=LOG_LEVELS, doc="log lines at this level and above go to stdout")


def store_section(t: Table) -> StoreConfig:
    out = StoreConfig(**fields.read(t, StoreConfig))
    if not out.url.startswith(("sqlite", "postgresql")):
        raise t.error("url", f"must be a sqlite:/// or postgresql+psycopg:// URL, got {out.url.split(':')[0]!r}")
    return out


def cluster_section(t: Table) -> ClusterConfig:
    out = ClusterConfig(**fields.read(t, ClusterConfig))
    if out.lease_timeout <= out.heartbeat:
        raise t.error("lease_timeout", f"must be longer than heartbeat ({out.heartbeat}), "
                                       f"got {out.lease_timeout}")
    return out


def callbacks_section(t: Table) -> CallbacksConfig:
    out = CallbacksConfig(**fields.read(t, CallbacksConfig))
    from gateway.common.weburl import allow_entry

    for entry in out.allow_hosts:
        try:
            allow_entry(entry)
        except ValueError as e:
            raise t.error("allow_hosts", str(e)) from None
    if out.max_backoff < out.initial_backoff:
        raise t.error("max_backoff", "must be at least initial_backoff")
    return out
