"""The daemon's typed, frozen configuration, read from TOML.

Rules:

* Every key the operator can write is read here, checked, and turned into a
  frozen dataclass.  Nothing else in the daemon reads TOML.
* Each key's default, bounds and doc are declared once, on its section's
  dataclass (``gateway.config.fields``); :data:`SECTIONS` lists the sections,
  and ``carrier-gateway config reference`` prints every key from them.
* A bad config raises :class:`ConfigError` whose message names the file, the
  key (``carriers[2] "att".window``) and the problem; the daemon refuses to
  start.  Unknown keys are errors too: a typo must not silently fall back to a
  default.
* Secrets (``password``, ``auth_token``) never appear in a ``repr`` and so
  never in a log line.

Imports point one way: ``read`` (checked getters) <- ``fields`` (declared
keys) <- the section modules (``http``, ``service``, ``tenants``,
``carriers``) <- this module, which assembles them <- ``reference``, ``check``.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from gateway.config import fields
from gateway.config.carriers import (CarrierConfig, Mm7Settings, PriceTable, SizeLimits, SmppSettings,
                                     carriers_section, frozen)
from gateway.config.http import ApiConfig, ConsoleConfig, OpsConfig, api_section, console_section, ops_section
from gateway.config.read import ConfigError, Table
from gateway.config.service import (CallbacksConfig, ClusterConfig, LogConfig, MediaConfig, PipelineConfig,
                                    ReceiptProfiles, ReceiptSettings, StoreConfig, callbacks_section,
                                    cluster_section, store_section)
from gateway.config.tenants import (Account, Application, MessagingService, Number, accounts_section,
                                    applications_section, messaging_services_section, numbers_section)

__all__ = [
    "ApiConfig", "StoreConfig", "Account", "Number", "MessagingService", "Application", "PriceTable",
    "SmppSettings", "Mm7Settings", "CarrierConfig", "PipelineConfig", "CallbacksConfig", "MediaConfig",
    "OpsConfig", "ConsoleConfig", "ClusterConfig", "ReceiptSettings", "Config", "ConfigError",
    "SECTIONS", "Section", "load", "loads", "from_dict",
]


@dataclass(frozen=True)
class Section:
    """One TOML table of the file and the dataclasses that declare its keys."""
    name: str  # "api", or "carriers.prices" for a carrier's sub-table
    classes: tuple[type, ...]
    array: bool = False  # [[name]]: any number of entries


SECTIONS = (
    Section("api", (ApiConfig,)), Section("ops", (OpsConfig,)), Section("store", (StoreConfig,)),
    Section("pipeline", (PipelineConfig,)), Section("cluster", (ClusterConfig,)),
    Section("callbacks", (CallbacksConfig,)), Section("media", (MediaConfig,)), Section("log", (LogConfig,)),
    Section("receipts", (ReceiptProfiles, ReceiptSettings)), Section("console", (ConsoleConfig,)),
    Section("accounts", (Account,), array=True), Section("numbers", (Number,), array=True),
    Section("messaging_services", (MessagingService,), array=True),
    Section("applications", (Application,), array=True),
    Section("carriers", (CarrierConfig, SmppSettings, Mm7Settings), array=True),
    Section("carriers.prices", (PriceTable,)), Section("carriers.size_limits", (SizeLimits,)),
)


@dataclass(frozen=True)
class Config:
    api: ApiConfig = ApiConfig()
    store: StoreConfig = StoreConfig()
    accounts: tuple[Account, ...] = ()
    numbers: tuple[Number, ...] = ()
    messaging_services: tuple[MessagingService, ...] = ()
    applications: tuple[Application, ...] = ()
    carriers: tuple[CarrierConfig, ...] = ()
    pipeline: PipelineConfig = PipelineConfig()
    callbacks: CallbacksConfig = CallbacksConfig()
    media: MediaConfig = MediaConfig()
    ops: OpsConfig = OpsConfig()
    console: ConsoleConfig = ConsoleConfig()
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    receipts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    log_level: str = LogConfig.level
    source: str = "<config>"

    def carrier(self, name: str) -> CarrierConfig:
        for carrier in self.carriers:
            if carrier.name == name:
                return carrier
        raise KeyError(name)

    def account(self, sid: str) -> Account | None:
        for account in self.accounts:
            if account.sid == sid:
                return account
        return None


def load(path: str) -> Config:
    """Read and check the TOML file at *path*; raise ConfigError naming it."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text: {e}") from None
    return loads(text, source=path)


def loads(text: str, *, source: str = "<config>") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: TOML syntax error: {e}") from None
    return from_dict(data, source=source)


def from_dict(data: Mapping[str, Any], *, source: str = "<config>") -> Config:
    top = Table(data, source, "")
    api = _table(top, "api", ApiConfig, api_section)
    store = _table(top, "store", StoreConfig, store_section)
    accounts = accounts_section(top)
    sids = {a.sid for a in accounts}
    numbers = numbers_section(top, sids)
    services = messaging_services_section(top, sids)
    applications = applications_section(top, sids)
    carriers = carriers_section(top)
    pipeline = _table(top, "pipeline", PipelineConfig)
    callbacks = _table(top, "callbacks", CallbacksConfig, callbacks_section)
    media = _table(top, "media", MediaConfig)
    ops = _table(top, "ops", OpsConfig, ops_section)
    console = _table(top, "console", ConsoleConfig, console_section)
    cluster = _table(top, "cluster", ClusterConfig, cluster_section)
    receipts = top.table("receipts")
    log = _table(top, "log", LogConfig)
    top.finish()
    _check_receipts(source, receipts.data if receipts else {}, carriers)
    return Config(
        api=api, store=store, accounts=accounts, numbers=numbers, messaging_services=services,
        applications=applications, carriers=carriers, pipeline=pipeline, callbacks=callbacks, media=media,
        ops=ops, console=console, cluster=cluster, receipts=frozen(receipts.data if receipts else {}),
        log_level=log.level, source=source,
    )


def _table(top: Table, name: str, cls: type, read: Callable[[Table], Any] | None = None) -> Any:
    """The section *name* (its defaults when the file has no such table)."""
    t = top.table(name)
    if t is None:
        return cls()
    out = read(t) if read else cls(**fields.read(t, cls))
    t.finish()
    return out


def _check_receipts(source: str, table: Mapping[str, Any], carriers: tuple[CarrierConfig, ...]) -> None:
    """[receipts] and each [carriers.receipts] as the receipts translator reads them."""
    from gateway.sms.receipts.profiles import read as read_profiles
    from gateway.sms.receipts.translator import ProfileError, carrier_profile

    try:
        ReceiptSettings.from_mapping(table)
    except ValueError as e:
        raise ConfigError(f"{source}: receipts: {e}") from None
    path = table.get("profiles")
    if path is not None and not isinstance(path, str):
        raise ConfigError(f"{source}: receipts.profiles: must be a file name")
    try:
        profiles = read_profiles(path)
    except ProfileError as e:
        raise ConfigError(f"{source}: receipts.profiles: {e}") from None
    for i, carrier in enumerate(carriers):
        try:
            carrier_profile(profiles, carrier.receipts)
        except ProfileError as e:
            raise ConfigError(f"{source}: carriers[{i}] {carrier.name!r}.receipts: {e}") from None
