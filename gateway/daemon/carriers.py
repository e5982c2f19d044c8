"""The carriers' parts, for the composition root (``gateway.daemon.root``):
one SMPP carrier service and sender per SMPP carrier, and for MM7 carriers
their senders, the store hooks their MMSCs report to, the report sweeps and
the ``/mm7`` resource.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from twisted.internet.threads import deferToThread

from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.common.periodic import Periodic
from gateway.config.model import CarrierConfig, Config
from gateway.daemon.services import HookService
from gateway.mms.client import make_http_client
from gateway.mms.endpoint import Mm7Root
from gateway.mms.fetch import FetchPolicy, MediaFetcher
from gateway.mms.hooks import StoreHooks
from gateway.mms.images import ShrinkPolicy
from gateway.mms.sender import MmsSender
from gateway.ops.health import Monitor
from gateway.sms.outbound.sender import SmsSender
from gateway.sms.outbound.submit_sm import References
from gateway.store.interface import Store

# How often MM7 delivery reports that came before their submit's answer are retried.
MM7_SWEEP_INTERVAL = 30.0


def smpp_carriers(config: Config, reactor: Any, deliver: Any, endpoint_factory: Callable, monitor: Monitor,
                  references: References, *, gated: bool) -> tuple[dict[str, SmppCarrier], dict[str, SmsSender]]:
    """Carrier services named ``carrier:<name>``, and their senders."""
    carriers: dict[str, SmppCarrier] = {}
    senders: dict[str, SmsSender] = {}
    for c in config.carriers:
        if c.protocol != "smpp":
            continue
        carrier = SmppCarrier(c.name, c.smpp, reactor, endpoint_factory, deliver, gated=gated)
        carrier.setName(f"carrier:{c.name}")
        carriers[c.name] = carrier
        monitor.add_carrier(c.name, carrier, "smpp")
        senders[c.name] = SmsSender(c, carrier, reactor, references)
    return carriers, senders


@dataclass(frozen=True)
class Mm7Parts:
    senders: dict[str, MmsSender]
    hooks: StoreHooks
    sweeps: HookService
    root: Mm7Root


def mm7_parts(config: Config, reactor: Any, store: Store, monitor: Monitor, numbers: Callable,
              http_client: Any, mm7_carriers: list[CarrierConfig]) -> Mm7Parts:
    media = config.media
    fetcher = MediaFetcher(reactor, FetchPolicy(timeout=media.fetch_timeout, max_bytes=media.max_bytes,
                                                max_redirects=media.max_redirects,
                                                allow_private=media.allow_private_addresses))
    shrink = ShrinkPolicy(min_quality=media.min_image_quality, min_side=media.min_image_side)
    senders = {}
    for c in mm7_carriers:
        http = make_http_client(reactor, ca_file=c.mm7.ca_file) if c.mm7.ca_file else http_client
        senders[c.name] = MmsSender(c, http, reactor, fetcher, run_blocking=deferToThread, shrink=shrink)
        monitor.add_carrier(c.name, senders[c.name], "mm7")
    base_url = config.api.public_url or f"http://{config.api.listen}"
    hooks = StoreHooks(store, reactor, numbers=numbers, base_url=base_url)
    credentials = {c.name: c.mm7.inbound_credentials for c in mm7_carriers if c.mm7.inbound_credentials}
    sweeps = Periodic(reactor, hooks.sweep, name="mm7 report sweeps")
    start_sweeps = partial(sweeps.start, MM7_SWEEP_INTERVAL, now=False)

    def stop_sweeps():
        hooks.stop()
        sweeps.stop()

    root = Mm7Root(hooks.on_delivery_report, hooks.on_deliver,
                   carriers={c.name for c in mm7_carriers}, credentials=credentials)
    return Mm7Parts(senders, hooks, HookService("mm7-report-sweeps", start_sweeps, stop_sweeps), root)
