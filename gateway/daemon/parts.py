"""What the daemon is made of: :class:`Parts`, one typed field per part the
composition root (``gateway.daemon.root``) builds, and the functions that
make a part, or a part's settings, from config sections (the console script
reuses some of them to check a config).

A part that exists only with some configuration (MM7 carriers, a store on
PostgreSQL, retention) is ``None`` without it.  Nothing here adds to the
tree or starts anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from twisted.logger import Logger

from gateway.config.model import Config

if TYPE_CHECKING:
    from gateway.api.app import MessagesApi
    from gateway.callbacks.sender import CallbackSender
    from gateway.carriers.smpp.carrier import SmppCarrier
    from gateway.cluster.heartbeat import ClusterNode
    from gateway.cluster.listen import QueueListener
    from gateway.cluster.slots import SlotKeeper
    from gateway.console.snapshot import Snapshot
    from gateway.daemon.sdnotify import Notifier
    from gateway.daemon.services import ListenService
    from gateway.dispatch.dispatcher import Dispatcher
    from gateway.mms.hooks import StoreHooks
    from gateway.mms.sender import MmsSender
    from gateway.ops.health import Monitor
    from gateway.sms.deliver_sm import DeliverHandler
    from gateway.sms.outbound.sender import SmsSender
    from gateway.sms.receipts.batch import BatchingDeliverHandler
    from gateway.sms.receipts.query import ReceiptQuery
    from gateway.store.retention import Pruner
    from gateway.store.store import Store

log = Logger()


@dataclass(frozen=True)
class Parts:
    """The daemon's parts in the order they are built;
    ``GatewayService.reload`` and tests reach them here."""

    store: Store
    monitor: Monitor
    console_snapshot: Snapshot
    cluster: ClusterNode
    deliver: DeliverHandler
    deliver_batching: BatchingDeliverHandler
    api: MessagesApi
    listen: ListenService
    carriers: Mapping[str, SmppCarrier]  # by carrier name
    senders: Mapping[str, SmsSender | MmsSender]  # by carrier name, SMPP and MM7
    mm7_hooks: StoreHooks | None  # with MM7 carriers
    bind_slots: SlotKeeper | None  # on PostgreSQL with SMPP carriers
    dispatcher: Dispatcher
    queue_listener: QueueListener | None  # on PostgreSQL
    signing_tokens: dict[str, str]  # account sid -> auth token; a reload refills it
    callbacks: CallbackSender
    roles: SlotKeeper | None  # on PostgreSQL
    receipt_query: ReceiptQuery
    retention: Pruner | None  # with [store] retention_days
    notifier: Notifier


def receipt_profiles(config: Config) -> dict[str, Any]:
    from gateway.sms.receipts.profiles import read as read_profiles
    from gateway.sms.receipts.translator import carrier_profile

    path = config.receipts.get("profiles")
    profiles = read_profiles(path)
    return {c.name: carrier_profile(profiles, c.receipts) for c in config.carriers}


def receipt_settings(config: Config):
    from gateway.config.model import ReceiptSettings

    return ReceiptSettings.from_mapping({k: v for k, v in config.receipts.items() if k != "profiles"})


def make_store(config: Config, reactor: Any):
    """The store of ``[store]``, its writer's memory bounded by ``cache_mb`` and ``mmap_mb``."""
    from gateway.store.engine import WriterMemory
    from gateway.store.store import Store

    memory = WriterMemory(cache_kib=config.store.cache_mb * 1024, mmap_bytes=config.store.mmap_mb << 20)
    if config.store.writer == "process":
        log.warn('[store] writer = "process" is read as "thread": the store\'s SQL runs on a thread '
                 'of the daemon, the only writer there is now; remove the key to silence this')
    return Store(config.store.url, reactor, memory=memory)


def auth_parts(config: Config, clock: Any) -> tuple[Any, Any]:
    """The API's authentication failure budgets, and the [ops] credentials
    under the same budgets (None when [ops] has none)."""
    from gateway.api.auth_guard import AuthBudget, AuthGuard, OpsAuth

    api = config.api
    guard = AuthGuard(clock, AuthBudget(max_failures_per_ip=api.auth_max_failures_per_ip,
                                        max_failures_per_account=api.auth_max_failures_per_account,
                                        window=api.auth_failure_window))
    ops = OpsAuth(guard, config.ops.username, config.ops.password) if config.ops.username else None
    return guard, ops


def connection_limits(api) -> Any:
    """[api] header/body deadlines and connection caps; ``max_connections``
    defaults to three quarters of the open-file limit, at most 4096, so the
    listener alone cannot take every file descriptor."""
    from gateway.api.connections import ConnectionLimits

    cap = api.max_connections
    if cap is None:
        cap = 4096
        try:
            import resource

            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            if soft != resource.RLIM_INFINITY:
                cap = max(1, min(cap, soft * 3 // 4))
        except (ImportError, OSError, ValueError):
            pass
    return ConnectionLimits(header_timeout=api.header_timeout, body_timeout=api.body_timeout,
                            max_connections_per_ip=api.max_connections_per_ip, max_connections=cap)


def site_body_cap(config: Config) -> int:
    """The largest request body the site buffers: the API's cap, or the MM7
    endpoint's when an MMSC delivers to us (the API checks its own cap on
    top, so an API request over it is still a 413)."""
    if any(c.protocol == "mm7" for c in config.carriers):
        from gateway.mms.endpoint import MAX_BODY

        return max(config.api.max_body_bytes, MAX_BODY)
    return config.api.max_body_bytes
