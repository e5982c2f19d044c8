"""The daemon's typed, frozen configuration, read from TOML.

Rules:

* Every key the operator can write is read here, checked, and turned into a
  frozen dataclass.  Nothing else in the daemon reads TOML.
* A bad config raises :class:`ConfigError` whose message names the file, the
  key (``carriers[2] "att".window``) and the problem; the daemon refuses to
  start.  Unknown keys are errors too: a typo must not silently fall back to a
  default.
* Secrets (``password``, ``auth_token``) never appear in a ``repr`` and so
  never in a log line.

See ``conf/gateway.toml`` for every key, documented.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

from gateway.config.read import ConfigError, Table
from gateway.carriers.smpp.settings import BindSettings
from protocols.mm7.namespaces import VERSIONS

__all__ = [
    "ApiConfig", "StoreConfig", "Account", "Number", "Application", "PriceTable", "SmppSettings", "Mm7Settings",
    "CarrierConfig", "PipelineConfig", "CallbacksConfig", "MediaConfig", "OpsConfig", "ConsoleConfig", "ClusterConfig", "Config",
    "ConfigError", "load", "loads", "from_dict",
]

BIND_TYPES = ("transmitter", "receiver", "transceiver", "transmitter+receiver")
SEGMENT_MODES = ("udh", "sar", "payload")
VALIDITY_FORMATS = ("relative", "absolute")  # SMPP 3.4 section 7.1.1
# How an SMSC means data_coding 0 ("SMSC default alphabet") on inbound text.
DEFAULT_ALPHABETS = ("gsm7", "latin1", "ascii")
MM7_VERSIONS = VERSIONS  # the versions a carrier may be configured with: the MM7 codec's list
MID_SEND_POLICIES = ("at-least-once", "at-most-once")


@dataclass(frozen=True)
class ApiConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 64 * 1024
    public_url: str | None = None  # how carriers/customers reach us (media, MM7)
    # Slow and greedy clients (gateway.api.connections): seconds for a request's
    # head and for its body, open connections per client address and in all
    # (None: three quarters of the open-file limit, at most 4096).
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_connections_per_ip: int = 256
    max_connections: int | None = None
    # Authentication failure budgets (gateway.api.auth_guard): failures per
    # client address and per account that refill over auth_failure_window s.
    auth_max_failures_per_ip: int = 20
    auth_max_failures_per_account: int = 100
    auth_failure_window: float = 60.0
    # The country of national numbers (a trunk 0, then the number) written
    # without "+" in From/To (gateway.api.numbering); None: no national form.
    default_country_code: str | None = None

    @property
    def listen(self) -> str:
        return f"{self.host}:{self.port}"


# "process" is still read, as "thread" (the daemon logs a notice): operators'
# configs written when it was the default keep working.
STORE_WRITERS = ("thread", "process")


@dataclass(frozen=True)
class StoreConfig:
    url: str = "sqlite:///var/gateway.db"
    # The store's SQL runs on its writer thread in the daemon (gateway.store.store).
    writer: str = "thread"
    # Final messages older than this many days are deleted (with their
    # parts, events and callbacks) by the daemon every hour and by
    # ``carrier-gateway db prune``; None keeps everything.
    retention_days: float | None = None
    # SQLite: what the writer's connection may hold in memory, its page cache
    # and its memory-mapped window of the database file (0: no mmap).  The
    # writer's RSS levels off at about 90 MB plus these (README, "Growth
    # and memory").
    cache_mb: int = 32
    mmap_mb: int = 64


@dataclass(frozen=True)
class Account:
    sid: str
    auth_token: str = field(repr=False)
    friendly_name: str = ""


@dataclass(frozen=True)
class Number:
    number: str
    account: str
    sms_url: str | None = None
    sms_method: str = "POST"
    # Which API the number's app speaks: "messages" (sms_url gets From/To as
    # "sms:+1..."), or "sms" (the older SMS API: bare "+1...").
    api: str = "messages"


@dataclass(frozen=True)
class MessagingService:
    """A pool of senders (``[[messaging_services]]``): ``MessagingServiceSid``
    picks ``From`` from ``numbers``, sticky per destination."""
    sid: str
    account: str
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class Application:
    """An ``[[applications]]`` entry: ``ApplicationSid`` takes the status
    callback from it (an explicit ``StatusCallback`` wins)."""
    sid: str
    account: str
    status_callback: str | None = None
    status_callback_method: str = "POST"
    friendly_name: str = ""


@dataclass(frozen=True)
class PriceTable:
    """``[carriers.prices]``: a price per destination prefix (longest prefix
    wins), per segment on an SMPP carrier and per message on an MM7 one;
    ``gateway.messages.pricing`` reads it."""
    unit: str = "USD"
    prefixes: tuple[tuple[str, Decimal], ...] = ()  # (prefix, price), longest first


@dataclass(frozen=True)
class SmppSettings(BindSettings):
    """A carrier's ``[[carriers]]`` SMPP settings: the bind knobs
    (``gateway.carriers.smpp.settings.BindSettings``, one type with one set of
    defaults) plus how messages are encoded and submitted on those binds."""

    national: frozenset[str] = frozenset()
    concat_ref_bits: int = 8
    segment_mode: str = "udh"
    max_length: int = 1600
    default_alphabet: str = "gsm7"  # one of DEFAULT_ALPHABETS
    validity_format: str = "relative"  # one of VALIDITY_FORMATS


@dataclass(frozen=True)
class Mm7Settings:
    url: str = field(repr=False)  # it may carry the carrier's user:password@
    vasp_id: str = ""
    vas_id: str = ""
    service_code: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    mm7_version: str = "6.8.0"
    use_prefix: bool = True
    timeout: float = 30.0
    retries: int = 2
    # Bytes per sender type; None = the carrier profile's documented default.
    size_limits: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    mm7_namespace: str = ""  # "" = the namespace that goes with mm7_version
    ca_file: str | None = None  # PEM trust root for the MMSC's HTTPS (default: system store)
    # Basic auth the MMSC must present on /mm7/{name}; None = same as username/password,
    # "" = no auth required.
    inbound_username: str | None = None
    inbound_password: str = field(default="", repr=False)

    @property
    def inbound_credentials(self) -> tuple[str, str] | None:
        if self.inbound_username is None:
            return (self.username, self.password) if self.username else None
        return (self.inbound_username, self.inbound_password) if self.inbound_username else None


@dataclass(frozen=True)
class CarrierConfig:
    name: str
    protocol: str  # "smpp" | "mm7"
    routes: tuple[str, ...] = ()
    fallback: str | None = None
    smpp: SmppSettings | None = None
    mm7: Mm7Settings | None = None
    receipts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    prices: PriceTable | None = None

    @property
    def channel(self) -> str:
        return "sms" if self.protocol == "smpp" else "mms"


@dataclass(frozen=True)
class PipelineConfig:
    poll_interval: float = 1.0
    batch_size: int = 500
    max_in_flight: int = 5000
    mid_send_policy: str = "at-least-once"


def _host_name() -> str:
    import socket

    return socket.gethostname()


@dataclass(frozen=True)
class ClusterConfig:
    """[cluster]: this node's id (default the host name), its heartbeat
    period and the lease after which a silent node counts as dead (s)."""
    node_id: str = field(default_factory=_host_name)
    heartbeat: float = 2.0
    lease_timeout: float = 10.0


@dataclass(frozen=True)
class CallbacksConfig:
    retry_for: float = 86400.0
    initial_backoff: float = 1.0
    max_backoff: float = 600.0
    timeout: float = 15.0
    concurrency: int = 32
    poll_interval: float = 1.0
    # At most this many requests in flight toward one host (a failing host
    # gets one); also the persistent connections kept per host.
    per_host_concurrency: int = 16
    connect_timeout: float = 5.0
    # Internal hosts callbacks may reach ("127.0.0.1", "hooks.internal:8443").
    allow_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediaConfig:
    allow_private_addresses: bool = False
    fetch_timeout: float = 20.0
    max_bytes: int = 5 << 20
    max_redirects: int = 3
    min_image_quality: int = 40  # downscaling never writes a JPEG below this quality
    min_image_side: int = 160  # ... nor an image whose long side is under this (pixels)


@dataclass(frozen=True)
class OpsConfig:
    """[ops]: Basic credentials for the operations endpoints, and which
    of them need them (both open by default)."""
    username: str = ""
    password: str = field(default="", repr=False)
    metrics_auth: bool = False  # GET /metrics needs the credentials
    health_details_auth: bool = False  # GET /health shows only its status without them


@dataclass(frozen=True)
class ConsoleConfig:
    """[console]: operators of the console (gateway.console); off when empty.
    ``users`` maps a user name to a password hash (never a plain password)."""
    users: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    refresh: float = 5.0  # seconds between the console's store summaries

    @property
    def enabled(self) -> bool:
        return bool(self.users)


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
    log_level: str = "info"
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
    from gateway.config.sections import build_config

    return build_config(Table(data, source, ""), source)


@dataclass(frozen=True)
class ReceiptSettings:
    """The gateway-wide ``[receipts]`` config table (seconds; ``profiles``,
    the path of a receipt profiles file, is read by the translator)."""

    early_window: float = 600.0  # an early receipt waits this long for its submit_sm_resp
    missing_segment_timeout: float = 172800.0  # then silent parts -> undelivered 30009
    reassembly_timeout: float = 600.0  # inbound parts wait this long for the rest
    sweep_interval: float = 30.0

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any] | None) -> "ReceiptSettings":
        table = dict(table or {})
        table.pop("profiles", None)  # the profiles file: read by gateway.sms.receipts.profiles.read
        unknown = set(table) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"[receipts]: unknown key(s) {', '.join(sorted(unknown))}")
        values = {}
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"[receipts] {key}: must be a positive number of seconds")
            values[key] = float(value)
        return cls(**values)
