"""The composition root: the one place that builds the daemon's service tree.

    store -> monitor -> cluster node -> API -> carriers -> pipeline
          -> callbacks -> receipt sweeps and queries -> count folds -> retention
          -> watchdog

:func:`build` makes every part from the typed config in that order, each
taking what it needs through its constructor, and adds each service to the
tree as it is made, so the children's order is the dependency order:
``gateway.daemon.tree`` starts them in it and stops them in reverse.  The
API listens before the carriers bind, so messages queue while binds come up.
Everything the parts touch comes in here: the reactor (also their clock),
the environment, endpoint factories, the HTTP client.
"""
from __future__ import annotations

import os
import random
from functools import partial
from typing import Any, Callable, Mapping

from twisted.application.service import Service
from twisted.internet.endpoints import TCP4ServerEndpoint, TCP6ServerEndpoint

from gateway.api.accounts import Accounts
from gateway.api.app import MessagesApi
from gateway.messages.numbering import NumberPlan
from gateway.api.requests import make_site
from gateway.callbacks.heads import HeadRepair
from gateway.callbacks.request import callback_pool, make_callback_agent
from gateway.callbacks.sender import CallbackSender
from gateway.carriers.smpp.endpoints import endpoint_factory as make_endpoint_factory
from gateway.cluster.heartbeat import ClusterNode
from gateway.cluster.listen import QueueListener
from gateway.cluster.roles import OneNodeRole
from gateway.cluster.slots import SlotKeeper
from gateway.config.model import Config
from gateway.console.mount import console_resource
from gateway.console.snapshot import Snapshot
from gateway.daemon.carriers import mm7_parts, smpp_carriers
from gateway.daemon.parts import Parts, auth_parts, connection_limits, make_store, receipt_profiles, \
    receipt_settings, site_body_cap
from gateway.daemon.sdnotify import Notifier, WatchdogService
from gateway.daemon.services import HookService, ListenService, StoreService
from gateway.daemon.tree import GatewayService
from gateway.dispatch.dispatcher import Dispatcher
from gateway.messages.pricing import PriceBook
from gateway.messages.routing import Router
from gateway.mms.client import make_http_client
from gateway.ops.health import HealthResource, Monitor
from gateway.ops.metrics import MetricsResource
from gateway.sms.deliver_sm import DeliverHandler, number_directory
from gateway.sms.inbound.store import apply_rcml_reply
from gateway.sms.outbound.submit_sm import References
from gateway.sms.receipts.batch import BatchingDeliverHandler
from gateway.sms.receipts.query import ReceiptQuery, receipt_timeouts
from gateway.sms.receipts.retry import ReceiptRetry
from gateway.sms.receipts.store import EarlyReceipts
from gateway.store.engine import is_sqlite, make_engine
from gateway.store.folding import CountFolder
from gateway.store.retention import Pruner


def build(config: Config, reactor: Any, *, environ: Mapping[str, str] | None = None,
          endpoint_factory: Callable[[Any], Any] | None = None, http_client: Any = None,
          reference_start: int | None = None, notifier: Notifier | None = None) -> GatewayService:
    """The whole daemon from *config*; nothing runs until ``start()``.
    *notifier* (the daemon's) pings the systemd watchdog; by default one
    from *environ*."""
    root = _Root(config, reactor)
    root.storage()
    root.receipt_handlers()
    root.api()
    root.carriers(endpoint_factory or make_endpoint_factory(reactor), http_client or make_http_client(reactor),
                  References(random.randrange(1 << 16) if reference_start is None else reference_start))
    root.pipeline()
    root.callbacks()
    root.receipt_services()
    root.housekeeping(notifier or Notifier(dict(os.environ if environ is None else environ)))
    return root.finish()


class _Root:
    """Builds the parts in dependency order; each stage reads what earlier
    stages built and adds its services to the tree."""

    def __init__(self, config: Config, reactor: Any):
        self.config, self.reactor = config, reactor
        self.tree = GatewayService(config)
        self.sqlite = is_sqlite(config.store.url)  # else PostgreSQL: the cluster's services too
        self.mm7_hooks = self.bind_slots = self.queue_listener = self.roles = self.retention = None

    def add(self, service: Service) -> None:
        service.setServiceParent(self.tree)

    def storage(self) -> None:
        config, reactor = self.config, self.reactor
        store = self.store = make_store(config, reactor)
        self.add(StoreService(store))
        monitor = self.monitor = Monitor(store, reactor)
        self.add(monitor)
        monitor.sources["store"] = lambda: {"fault_episodes": store.faults.count}
        self.snapshot = Snapshot(store, reactor, monitor.sources, interval=config.console.refresh)
        node = self.node = ClusterNode(store, reactor, config.cluster, sqlite=self.sqlite,
                                       policy=config.pipeline.mid_send_policy)
        self.add(node)
        monitor.node_id = node.node_id

    def receipt_handlers(self) -> None:
        config = self.config
        self.profiles = receipt_profiles(config)
        self.numbers = number_directory(config.numbers)
        alphabets = {c.name: c.smpp.default_alphabet for c in config.carriers if c.smpp is not None}
        self.timeouts = receipt_timeouts(config.carriers)
        deliver = self.deliver = DeliverHandler(
            self.store, self.numbers, self.reactor, profiles=self.profiles, settings=receipt_settings(config),
            alphabets=alphabets, asked_first=self.timeouts)
        self.monitor.sources["receipts"] = lambda: deliver.stats
        self.batching = BatchingDeliverHandler(deliver, self.store, self.reactor)

    def api(self) -> None:
        config, reactor, monitor, snapshot = self.config, self.reactor, self.monitor, self.snapshot
        api = self.messages_api = MessagesApi(self.store, Accounts.from_config(config.accounts), clock=reactor,
                                              max_body=config.api.max_body_bytes)
        guard, ops = auth_parts(config, reactor)
        api.auth_guard = guard
        monitor.sources["api_auth"] = lambda: guard.stats
        api.mount("health", HealthResource(monitor, ops if config.ops.health_details_auth else None))
        api.mount("metrics", MetricsResource(monitor, ops if config.ops.metrics_auth else None, snapshot))
        if config.console.enabled:
            api.mount("console", console_resource(config.console, guard, monitor, snapshot, self.store, reactor,
                                                  node=config.cluster.node_id))
        endpoint_type = TCP6ServerEndpoint if ":" in config.api.host else TCP4ServerEndpoint
        listen = self.listen = ListenService(
            endpoint_type(reactor, config.api.port, interface=config.api.host),
            make_site(api.resource(), max_body=site_body_cap(config), limits=connection_limits(config.api),
                      reactor=reactor),
            on_listening=self._listening)
        self.add(listen)
        self.add(snapshot)
        monitor.sources["api_connections"] = lambda: listen.factory.connections.stats

    def _listening(self, port: int) -> None:
        """With port 0 (tests, labs) the URLs we hand out need the real port."""
        api = self.config.api
        if self.mm7_hooks is not None and not api.public_url:
            host = f"[{api.host}]" if ":" in api.host else api.host
            self.mm7_hooks.base_url = f"http://{host}:{port}"

    def carriers(self, endpoint_factory: Callable, http_client: Any, references: References) -> None:
        config = self.config
        self.smpp, self.senders = smpp_carriers(config, self.reactor, self.batching, endpoint_factory,
                                                self.monitor, references, gated=not self.sqlite)
        for carrier in self.smpp.values():
            self.add(carrier)
        mm7_carriers = [c for c in config.carriers if c.protocol == "mm7"]
        if mm7_carriers:
            mm7 = mm7_parts(config, self.reactor, self.store, self.monitor, self.numbers, http_client,
                            mm7_carriers)
            self.senders.update(mm7.senders)
            self.mm7_hooks = mm7.hooks
            self.add(mm7.sweeps)
            self.messages_api.mount("mm7", mm7.root)
        if self.smpp and not self.sqlite:  # the SMPP binds are a cluster-wide budget (gateway.cluster.slots)
            keeper = self.bind_slots = self._slot_keeper(self.smpp)
            self.add(keeper)
            self.node.binds = lambda: keeper.count
            self.node.slots = lambda: {name: sorted(held) for name, held in keeper.held.items()}

    def _slot_keeper(self, holders: Mapping[str, Any]) -> SlotKeeper:
        cluster = self.config.cluster
        return SlotKeeper(make_engine(self.config.store.url, pool_size=1), self.reactor, holders,
                          interval=cluster.heartbeat, lease_timeout=cluster.lease_timeout)

    def pipeline(self) -> None:
        config, api = self.config, self.messages_api
        dispatcher = self.dispatcher = Dispatcher(
            self.store, self.senders, Router(config.carriers), self.reactor, config.pipeline,
            after_sent=EarlyReceipts(self.profiles), node_id=self.node.node_id, prices=PriceBook(config.carriers))
        self.node.on_takeover = dispatcher.wake
        api.notify_new_message = dispatcher.wake
        api.messaging_services = {s.sid: s for s in config.messaging_services}
        api.applications = {a.sid: a for a in config.applications}
        api.number_plan = NumberPlan.from_config(config)  # a reload replaces it
        self.add(dispatcher)
        self.monitor.sources["pipeline"] = lambda: dispatcher.stats
        if not self.sqlite:  # a message accepted on any node wakes this one
            listener = self.queue_listener = QueueListener(config.store.url, self.reactor, dispatcher.wake)
            self.add(listener)
            self.monitor.sources["queue_listener"] = lambda: listener.stats

    def callbacks(self) -> None:
        config, reactor = self.config, self.reactor
        # Callbacks get their own agent: the SSRF guard with [callbacks]
        # allow_hosts, a short connect timeout, a pool sized per host.
        pool = callback_pool(reactor, config.callbacks)
        # Auth tokens sign the callbacks (X-Twilio-Signature); a reload refills the dict.
        tokens = self.signing_tokens = {a.sid: a.auth_token for a in config.accounts}
        callbacks = self.callback_sender = CallbackSender(
            self.store, make_callback_agent(reactor, config.callbacks, pool=pool), reactor, config.callbacks,
            reply_hook=partial(apply_rcml_reply, plan=self.messages_api.number_plan),
            on_new_messages=self.dispatcher.wake, pool=pool, signing_tokens=tokens.get)
        self.add(callbacks)
        if not self.sqlite:  # one node of the cluster sends (gateway.cluster.roles)
            roles = self.roles = self._slot_keeper({"role:callbacks": OneNodeRole(callbacks)})
            roles.name = "roles"
            self.add(roles)
            self.add(HeadRepair(self.store, reactor, interval=config.cluster.heartbeat,
                                active=lambda: callbacks.enabled, on_repaired=callbacks.wake))
        self.monitor.sources["callbacks"] = lambda: callbacks.stats
        # Whatever wrote the rows (outcomes, receipts, inbound, MM7 reports,
        # sweeps), the sender reads the outbox once they are committed.
        self.store.on_outbox.append(callbacks.wake)

    def receipt_services(self) -> None:
        deliver, reactor = self.deliver, self.reactor
        self.add(HookService("receipt-sweeps", deliver.start, deliver.stop))
        if not self.sqlite:  # receipts that raced their part on another node
            self.add(ReceiptRetry(self.store, reactor, interval=self.config.cluster.heartbeat,
                                  profiles=self.profiles))
        query = self.query = ReceiptQuery(
            self.store, self.smpp, self.timeouts, reactor, profiles=self.profiles,
            interval=deliver.settings.sweep_interval, horizon=deliver.settings.missing_segment_timeout)
        self.monitor.sources["receipt_query"] = lambda: query.stats
        self.add(HookService("receipt-query", query.start, query.stop))
        self.add(HookService("held-receipts", lambda: None, self.batching.stop))

    def housekeeping(self, notifier: Notifier) -> None:
        if not self.sqlite:  # the count triggers' deltas into message_counts (gateway.store.counts)
            folder = CountFolder(self.store, self.reactor, interval=self.config.cluster.heartbeat)
            self.add(folder)
            self.monitor.sources["message_counts"] = lambda: folder.stats
        if self.config.store.retention_days:
            pruner = self.retention = Pruner(self.store, self.reactor, self.config.store.retention_days)
            self.add(pruner)
            self.monitor.sources["retention"] = lambda: pruner.stats
        self.notifier = notifier
        self.add(WatchdogService(notifier, self.reactor))

    def finish(self) -> GatewayService:
        self.tree.parts = Parts(
            store=self.store, monitor=self.monitor, console_snapshot=self.snapshot, cluster=self.node,
            deliver=self.deliver, deliver_batching=self.batching, api=self.messages_api, listen=self.listen,
            carriers=self.smpp, senders=self.senders, mm7_hooks=self.mm7_hooks, bind_slots=self.bind_slots,
            dispatcher=self.dispatcher, queue_listener=self.queue_listener, signing_tokens=self.signing_tokens,
            callbacks=self.callback_sender, roles=self.roles, receipt_query=self.query,
            retention=self.retention, notifier=self.notifier)
        return self.tree
