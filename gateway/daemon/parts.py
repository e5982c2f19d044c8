"""Construction of every part of the daemon from the typed config.

Kept apart from ``gateway.daemon.tree`` (the tree's start/stop rules) so each
stays small.  Everything the parts touch comes in here: the reactor (also
their clock), endpoint factories, the HTTP client.  Order of the children
is the start order; they stop in reverse.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from twisted.logger import Logger
from twisted.web.resource import Resource

from gateway.messages.numbering import NumberPlan
from gateway.api.requests import make_site
from gateway.config.model import Config
from gateway.ops.health import HealthResource, Monitor
from gateway.ops.metrics import MetricsResource
from gateway.daemon.sdnotify import Notifier, WatchdogService

log = Logger()


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


def add_parts(tree, config: Config, reactor: Any, *, environ: dict, endpoint_factory: Callable | None,
              http_client: Any, reference_start: int) -> None:
    from twisted.internet.endpoints import TCP4ServerEndpoint, TCP6ServerEndpoint

    from gateway.api.accounts import Accounts
    from gateway.api.app import MessagesApi
    from gateway.callbacks.sender import CallbackSender, callback_pool, make_callback_agent
    from gateway.sms.deliver_sm import DeliverHandler, number_directory
    from gateway.sms.inbound.store import apply_rcml_reply
    from gateway.dispatch.dispatcher import Dispatcher
    from gateway.sms.receipts.store import EarlyReceipts
    from gateway.sms.receipts.query import ReceiptQuery, receipt_timeouts
    from gateway.messages.pricing import PriceBook
    from gateway.messages.routing import Router
    from gateway.daemon.tree import HookService, ListenService, StoreService
    from gateway.store.engine import is_sqlite

    parts = tree.parts
    store = parts["store"] = make_store(config, reactor)
    StoreService(store).setServiceParent(tree)
    monitor = parts["monitor"] = Monitor(store, reactor)
    monitor.setServiceParent(tree)
    monitor.sources["store"] = lambda: {"fault_episodes": store.faults.count}
    from gateway.console.snapshot import Snapshot

    snapshot = parts["console_snapshot"] = Snapshot(store, reactor, monitor.sources,
                                                    interval=config.console.refresh)
    node = parts["cluster"] = _cluster_node(config, reactor, store)
    node.setServiceParent(tree)
    monitor.node_id = node.node_id

    profiles = receipt_profiles(config)
    numbers = number_directory(config.numbers)
    alphabets = {c.name: c.smpp.default_alphabet for c in config.carriers if c.smpp is not None}
    timeouts = receipt_timeouts(config.carriers)
    deliver = parts["deliver"] = DeliverHandler(store, numbers, reactor, profiles=profiles,
                                                settings=receipt_settings(config), alphabets=alphabets,
                                                asked_first=timeouts)
    monitor.sources["receipts"] = lambda: deliver.stats
    from gateway.sms.receipts.batch import BatchingDeliverHandler

    batching = parts["deliver_batching"] = BatchingDeliverHandler(deliver, store, reactor)

    api = parts["api"] = MessagesApi(store, Accounts.from_config(config.accounts), clock=reactor,
                                     max_body=config.api.max_body_bytes)
    guard, ops = auth_parts(config, reactor)
    api.auth_guard = guard
    monitor.sources["api_auth"] = lambda: guard.stats
    api.mount("health", HealthResource(monitor, ops if config.ops.health_details_auth else None))
    api.mount("metrics", MetricsResource(monitor, ops if config.ops.metrics_auth else None, snapshot))
    if config.console.enabled:
        from gateway.console.mount import console_resource

        api.mount("console", console_resource(config.console, guard, monitor, snapshot, store, reactor,
                                              node=config.cluster.node_id))
    # The API listens before the carriers bind: messages queue while binds come up.
    endpoint_type = TCP6ServerEndpoint if ":" in config.api.host else TCP4ServerEndpoint
    parts["listen"] = ListenService(
        endpoint_type(reactor, config.api.port, interface=config.api.host),
        make_site(api.resource(), max_body=_site_body_cap(config), limits=connection_limits(config.api),
                  reactor=reactor),
        on_listening=lambda port: _listening(parts, config, port))
    parts["listen"].setServiceParent(tree)
    snapshot.setServiceParent(tree)
    monitor.sources["api_connections"] = lambda: parts["listen"].factory.connections.stats
    if http_client is None:
        from gateway.mms.client import make_http_client

        http_client = make_http_client(reactor)
    senders, mm7_root = _carriers(tree, config, reactor, store, monitor, batching, numbers,
                                  endpoint_factory, http_client, reference_start)
    if mm7_root is not None:
        api.mount("mm7", mm7_root)

    dispatcher = parts["dispatcher"] = Dispatcher(
        store, senders, Router(config.carriers), reactor, config.pipeline,
        after_sent=EarlyReceipts(profiles), node_id=node.node_id, prices=PriceBook(config.carriers))
    node.on_takeover = dispatcher.wake
    api.notify_new_message = dispatcher.wake
    api.messaging_services = {s.sid: s for s in config.messaging_services}
    api.applications = {a.sid: a for a in config.applications}
    api.number_plan = NumberPlan.from_config(config)  # a reload replaces it
    dispatcher.setServiceParent(tree)
    monitor.sources["pipeline"] = lambda: dispatcher.stats
    if not is_sqlite(config.store.url):  # a message accepted on any node wakes this one
        from gateway.cluster.listen import QueueListener

        listener = parts["queue_listener"] = QueueListener(config.store.url, reactor, dispatcher.wake)
        listener.setServiceParent(tree)
        monitor.sources["queue_listener"] = lambda: listener.stats

    # Callbacks get their own agent: the SSRF guard with [callbacks]
    # allow_hosts, a short connect timeout, a pool sized per host.
    pool = callback_pool(reactor, config.callbacks)
    # Auth tokens sign the callbacks (X-Twilio-Signature); a reload refills the dict.
    tokens = parts["signing_tokens"] = {a.sid: a.auth_token for a in config.accounts}
    callbacks = parts["callbacks"] = CallbackSender(
        store, make_callback_agent(reactor, config.callbacks, pool=pool), reactor, config.callbacks,
        reply_hook=partial(apply_rcml_reply, plan=api.number_plan), on_new_messages=dispatcher.wake, pool=pool,
        signing_tokens=tokens.get)
    callbacks.setServiceParent(tree)
    if not is_sqlite(config.store.url):  # one node of the cluster sends (gateway.cluster.roles)
        _one_node_roles(tree, config, reactor, {"role:callbacks": callbacks})
        from gateway.callbacks.heads import HeadRepair

        HeadRepair(store, reactor, interval=config.cluster.heartbeat, active=lambda: callbacks.enabled,
                   on_repaired=callbacks.wake).setServiceParent(tree)
    monitor.sources["callbacks"] = lambda: callbacks.stats
    dispatcher.on_outcome = lambda _kind: callbacks.wake()

    HookService("receipt-sweeps", deliver.start, deliver.stop).setServiceParent(tree)
    if not is_sqlite(config.store.url):  # receipts that raced their part on another node
        from gateway.sms.receipts.retry import ReceiptRetry

        ReceiptRetry(store, reactor, interval=config.cluster.heartbeat, profiles=profiles).setServiceParent(tree)
    query = parts["receipt_query"] = ReceiptQuery(
        store, parts["carriers"], timeouts, reactor, profiles=profiles,
        interval=deliver.settings.sweep_interval, horizon=deliver.settings.missing_segment_timeout)
    monitor.sources["receipt_query"] = lambda: query.stats
    HookService("receipt-query", query.start, query.stop).setServiceParent(tree)
    HookService("held-receipts", lambda: None, batching.stop).setServiceParent(tree)
    if config.store.retention_days:
        from gateway.store.retention import Pruner

        pruner = parts["retention"] = Pruner(store, reactor, config.store.retention_days)
        pruner.setServiceParent(tree)
        monitor.sources["retention"] = lambda: pruner.stats
    notifier = parts["notifier"] = Notifier(environ)
    WatchdogService(notifier, reactor).setServiceParent(tree)


def _cluster_node(config: Config, reactor: Any, store: Any):
    from gateway.cluster.heartbeat import ClusterNode
    from gateway.store.engine import is_sqlite

    return ClusterNode(store, reactor, config.cluster, sqlite=is_sqlite(config.store.url),
                       policy=config.pipeline.mid_send_policy)


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


def _site_body_cap(config: Config) -> int:
    """The largest request body the site buffers: the API's cap, or the MM7
    endpoint's when an MMSC delivers to us (the API checks its own cap on
    top, so an API request over it is still a 413)."""
    if any(c.protocol == "mm7" for c in config.carriers):
        from gateway.mms.endpoint import MAX_BODY

        return max(config.api.max_body_bytes, MAX_BODY)
    return config.api.max_body_bytes


def _listening(parts: dict, config: Config, port: int) -> None:
    """With port 0 (tests, labs) the URLs we hand out need the real port."""
    hooks = parts.get("mm7_hooks")
    if hooks is not None and not config.api.public_url:
        host = f"[{config.api.host}]" if ":" in config.api.host else config.api.host
        hooks.base_url = f"http://{host}:{port}"


def _carriers(tree, config, reactor, store, monitor, deliver, numbers, endpoint_factory,
              http_client, reference_start):
    from gateway.sms.outbound.sender import SmsSender
    from gateway.carriers.smpp.carrier import SmppCarrier
    from gateway.store.engine import is_sqlite
    from gateway.sms.outbound.submit_sm import References

    references = References(reference_start)
    senders: dict[str, Any] = {}
    carriers: dict[str, Any] = {}
    mm7_carriers = [c for c in config.carriers if c.protocol == "mm7"]
    if endpoint_factory is None:
        from gateway.carriers.smpp.endpoints import endpoint_factory as make_factory

        endpoint_factory = make_factory(reactor)
    for c in config.carriers:
        if c.protocol != "smpp":
            continue
        carrier = SmppCarrier(c.name, c.smpp, reactor, endpoint_factory, deliver,
                              gated=not is_sqlite(config.store.url))
        carrier.setName(f"carrier:{c.name}")
        carrier.setServiceParent(tree)
        carriers[c.name] = carrier
        monitor.add_carrier(c.name, carrier, "smpp")
        senders[c.name] = SmsSender(c, carrier, reactor, references)
    mm7_root = None
    if mm7_carriers:
        mm7_root = _mm7(tree, config, reactor, store, monitor, numbers, http_client, senders, mm7_carriers)
    tree.parts["carriers"] = carriers
    tree.parts["senders"] = senders
    if carriers and not is_sqlite(config.store.url):
        _bind_slots(tree, config, reactor, carriers)
    return senders, mm7_root


def _one_node_roles(tree, config, reactor, services) -> None:
    from gateway.cluster.roles import OneNodeRole
    from gateway.cluster.slots import SlotKeeper
    from gateway.store.engine import make_engine

    roles = {name: OneNodeRole(service) for name, service in services.items()}
    keeper = tree.parts["roles"] = SlotKeeper(
        make_engine(config.store.url, pool_size=1), reactor, roles,
        interval=config.cluster.heartbeat, lease_timeout=config.cluster.lease_timeout)
    keeper.name = "roles"
    keeper.setServiceParent(tree)


def _bind_slots(tree, config, reactor, carriers) -> None:
    """On PostgreSQL the SMPP binds are a cluster-wide budget (gateway.cluster.slots)."""
    from gateway.cluster.slots import SlotKeeper
    from gateway.store.engine import make_engine

    keeper = tree.parts["bind_slots"] = SlotKeeper(
        make_engine(config.store.url, pool_size=1), reactor, carriers,
        interval=config.cluster.heartbeat, lease_timeout=config.cluster.lease_timeout)
    keeper.setServiceParent(tree)
    tree.parts["cluster"].binds = lambda: keeper.count
    tree.parts["cluster"].slots = lambda: {name: sorted(held) for name, held in keeper.held.items()}


def _mm7(tree, config, reactor, store, monitor, numbers, http_client, senders, mm7_carriers):
    from twisted.internet.threads import deferToThread

    from gateway.mms.client import make_http_client
    from gateway.mms.endpoint import Mm7Root
    from gateway.mms.fetch import FetchPolicy, MediaFetcher
    from gateway.mms.hooks import StoreHooks
    from gateway.mms.images import ShrinkPolicy
    from gateway.mms.sender import MmsSender
    from gateway.daemon.tree import HookService

    media = config.media
    fetcher = MediaFetcher(reactor, FetchPolicy(timeout=media.fetch_timeout, max_bytes=media.max_bytes,
                                                max_redirects=media.max_redirects,
                                                allow_private=media.allow_private_addresses))
    shrink = ShrinkPolicy(min_quality=media.min_image_quality, min_side=media.min_image_side)
    for c in mm7_carriers:
        http = make_http_client(reactor, ca_file=c.mm7.ca_file) if c.mm7.ca_file else http_client
        sender = MmsSender(c, http, reactor, fetcher, run_blocking=deferToThread, shrink=shrink)
        senders[c.name] = sender
        monitor.add_carrier(c.name, sender, "mm7")
    base_url = config.api.public_url or f"http://{config.api.listen}"
    hooks = tree.parts["mm7_hooks"] = StoreHooks(store, reactor, numbers=numbers, base_url=base_url)
    credentials = {c.name: c.mm7.inbound_credentials for c in mm7_carriers if c.mm7.inbound_credentials}
    from twisted.internet.task import LoopingCall

    loop = LoopingCall(hooks.sweep)
    loop.clock = reactor

    def start_sweeps():
        loop.start(30.0, now=False)

    def stop_sweeps():
        hooks.stop()
        if loop.running:
            loop.stop()

    HookService("mm7-report-sweeps", start_sweeps, stop_sweeps).setServiceParent(tree)
    return Mm7Root(hooks.on_delivery_report, hooks.on_deliver,
                   carriers={c.name for c in mm7_carriers}, credentials=credentials)


__all__ = ["add_parts", "Resource"]
