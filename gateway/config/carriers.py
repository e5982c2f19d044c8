"""[[carriers]]: the SMSCs and MMSCs messages go to.

One table per carrier holds its routing keys (``name``, ``protocol``,
``routes``, ``fallback``) and the keys of its protocol (SMPP or MM7), with
the sub-tables ``[carriers.receipts]`` (its receipt dialect, checked by the
receipts translator), ``[carriers.prices]`` and, for MM7,
``[carriers.size_limits]``.

A price is a decimal string (or a TOML integer); TOML floats are refused,
since ``0.1`` is not exact in binary and a price must be.  Prefixes are
``+digits`` (``"+"`` matches everything, short codes too).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Mapping

from gateway.carriers.smpp.settings import BIND_TYPES, BindSettings
from gateway.config import fields
from gateway.config.fields import Key, setting
from gateway.config.read import Table
from protocols.mm7.namespaces import VERSIONS

SEGMENT_MODES = ("udh", "sar", "payload")
VALIDITY_FORMATS = ("relative", "absolute")  # SMPP 3.4 section 7.1.1
# How an SMSC means data_coding 0 ("SMSC default alphabet") on inbound text.
DEFAULT_ALPHABETS = ("gsm7", "latin1", "ascii")
PROTOCOLS = ("smpp", "mm7")
_PREFIX = re.compile(r"^\+\d{0,15}$")
_PRICE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,8})?$")
_UNIT = re.compile(r"^[A-Z]{3}$")  # ISO 4217


@dataclass(frozen=True)
class SmppSettings(BindSettings):
    """A carrier's SMPP settings: the bind knobs (``BindSettings``, which holds
    their defaults; ``KEYS`` holds their bounds and docs) plus how messages
    are encoded and submitted on those binds."""

    KEYS = {
        "host": Key(required=True, nonempty=True, doc="the SMSC's host"),
        "port": Key(required=True, lo=1, hi=65535, doc="the SMSC's port"),
        "system_id": Key(required=True, nonempty=True, max_len=15, doc="our SMPP system_id"),
        "password": Key(max_len=8, doc="our SMPP password"),
        "system_type": Key(max_len=12, doc="the bind's system_type"),
        "bind": Key(choices=BIND_TYPES, doc="transmitter+receiver: a TX and an RX session per bind"),
        "binds": Key(lo=1, hi=64, doc="sessions opened to this SMSC"),
        "window": Key(lo=1, hi=10000, doc="outstanding submit_sm per bind"),
        "max_tps": Key(lo=0, doc="submits per second per bind (token bucket); 0 = no cap"),
        "registered_delivery": Key(kind="custom", doc="true/false or the raw registered_delivery byte"),
        "enquire_link_interval": Key(positive=True, doc="a missing enquire_link_resp drops and rebinds"),
        "response_timeout": Key(positive=True, doc="seconds per request, then resent `retries` times"),
        "retries": Key(lo=0, hi=20, doc="resends after a timeout, then the message fails with 30090"),
        "connect_timeout": Key(positive=True, doc="seconds to open the connection"),
        "drain_timeout": Key(lo=0, doc="on stop, seconds to wait for the window to drain"),
        "reconnect_initial": Key(positive=True, doc="rebind backoff: first wait, doubling with jitter"),
        "reconnect_max": Key(positive=True, doc="... up to this"),
        "tls": Key(doc="TLS to the SMSC"),
        "tls_verify": Key(doc="verify its certificate (hostname = host)"),
        "tls_ca": Key(nonempty=True, doc="PEM file of trusted CAs (default: the system store)"),
        "queue_full_retry_for": Key(positive=True, doc="seconds ESME_RMSGQFUL refusals are resent, then 30001"),
        "queue_full_max_retries": Key(lo=0, doc="... and at most this many resends (0 = no count limit)"),
        "throttle_retry_for": Key(positive=True, doc="seconds ESME_RTHROTTLED refusals are resent, then 30001"),
        "throttle_max_retries": Key(lo=0, doc="... and at most this many resends (0 = no count limit)"),
    }

    national: frozenset[str] = setting(frozenset(), kind="custom",
                                       doc="national language shift tables allowed (GSM 03.38): tr, es, pt, ...")
    concat_ref_bits: int = setting(8, kind="custom", choices=(8, 16), doc="bits of the concatenation reference")
    segment_mode: str = setting("udh", choices=SEGMENT_MODES, doc="udh | sar | payload (message_payload TLV)")
    max_length: int = setting(1600, lo=1, hi=65535, doc="characters per message")
    default_alphabet: str = setting("gsm7", choices=DEFAULT_ALPHABETS,
                                    doc="what this SMSC means by data_coding 0 on inbound messages")
    validity_format: str = setting("relative", choices=VALIDITY_FORMATS,
                                   doc="validity_period as the time left or as the expiry moment (UTC)")


@dataclass(frozen=True)
class Mm7Settings:
    url: str = setting(secret=True, kind="url", doc="the MMSC's MM7 URL (it may carry user:password@)")
    vasp_id: str = setting("", doc="our VASPID")
    vas_id: str = setting("", doc="our VASID")
    service_code: str = setting("", doc="our ServiceCode")
    username: str = setting("", doc="HTTP Basic user toward the MMSC")
    password: str = setting("", secret=True, doc="... and its password")
    mm7_version: str = setting("6.8.0", choices=VERSIONS, doc="the MM7Version we speak")
    use_prefix: bool = setting(True, doc="write the mm7: namespace prefix")
    timeout: float = setting(30.0, positive=True, doc="seconds per request")
    retries: int = setting(2, lo=0, hi=20, doc="resends after a failed request")
    # Bytes per sender type; absent = the carrier profile's documented default.
    size_limits: Mapping[str, int] = setting(factory=lambda: MappingProxyType({}), kind="custom",
                                             shown="the carrier profile's limits",
                                             doc="[carriers.size_limits]: largest MM per sender type")
    mm7_namespace: str = setting("", nonempty=True, shown="the one that goes with mm7_version",
                                 doc="the MM7 schema namespace")
    ca_file: str | None = setting(None, kind="file", doc="PEM trust root for the MMSC's HTTPS (default: system store)")
    # None = same as username/password, "" = no auth required.
    inbound_username: str | None = setting(None, shown="the same as username",
                                           doc="Basic auth the MMSC must send to /mm7/<name>; \"\" = none")
    inbound_password: str = setting("", secret=True, shown="the same as password", doc="... and its password")

    @property
    def inbound_credentials(self) -> tuple[str, str] | None:
        if self.inbound_username is None:
            return (self.username, self.password) if self.username else None
        return (self.inbound_username, self.inbound_password) if self.inbound_username else None


@dataclass(frozen=True)
class SizeLimits:
    """[carriers.size_limits]: the largest MM per sender type (bytes, decoded)."""
    long_code: int | None = setting(None, lo=1024, shown="the carrier profile's", doc="from a long code")
    short_code: int | None = setting(None, lo=1024, shown="the carrier profile's", doc="from a short code")
    toll_free: int | None = setting(None, lo=1024, shown="the carrier profile's", doc="from a toll-free number")


@dataclass(frozen=True)
class PriceTable:
    """``[carriers.prices]``: a price per destination prefix (longest prefix
    wins), per segment on an SMPP carrier and per message on an MM7 one;
    ``gateway.messages.pricing`` reads it."""
    unit: str = setting("USD", kind="custom", doc="ISO 4217 currency of these prices")
    prefixes: tuple[tuple[str, Decimal], ...] = setting(
        (), kind="custom", required=True, doc='{ "+1" = "0.0075", "+" = "0.05" }: price per prefix')


@dataclass(frozen=True)
class CarrierConfig:
    name: str = setting(nonempty=True, max_len=64, doc="the carrier's name (in logs, metrics and fallback)")
    protocol: str = setting("smpp", choices=PROTOCOLS, doc="smpp (sms: messages) | mm7 (mms: messages)")
    routes: tuple[str, ...] = setting((), kind="custom", doc='destination prefixes it takes ("+" matches all)')
    fallback: str | None = setting(None, nonempty=True, doc="the carrier (same protocol) tried when this one fails")
    smpp: SmppSettings | None = None
    mm7: Mm7Settings | None = None
    receipts: Mapping[str, Any] = setting(factory=lambda: MappingProxyType({}), kind="custom",
                                          shown="the default profile",
                                          doc="[carriers.receipts]: its receipt dialect over a profile")
    prices: PriceTable | None = setting(None, kind="custom", doc="[carriers.prices]: what it charges")

    @property
    def channel(self) -> str:
        return "sms" if self.protocol == "smpp" else "mms"


def carriers_section(top: Table) -> tuple[CarrierConfig, ...]:
    out: list[CarrierConfig] = []
    tables: list[Table] = []
    for i, raw in enumerate(top.tables("carriers")):
        t = Table(raw, top.source, f"carriers[{i}]")
        name = fields.read_one(t, CarrierConfig, "name")
        t.prefix = f"carriers[{i}] {name!r}"
        if any(o.name == name for o in out):
            raise t.error("name", "duplicate carrier name")
        out.append(_carrier(t, name))
        tables.append(t)
    names = {o.name: o for o in out}
    for carrier, t in zip(out, tables):
        if carrier.fallback is None:
            continue
        target = names.get(carrier.fallback)
        if target is None:
            raise t.error("fallback", f"no [[carriers]] entry is named {carrier.fallback!r}")
        if target.protocol != carrier.protocol:
            raise t.error("fallback", f"{carrier.fallback!r} speaks {target.protocol}, not {carrier.protocol}")
    return tuple(out)


def _carrier(t: Table, name: str) -> CarrierConfig:
    values = fields.read(t, CarrierConfig, skip=("name",))
    routes = t.strings("routes", ())
    for route in routes:
        if not _PREFIX.match(route):
            raise t.error("routes", f'each route is a "+digits" prefix ("+" matches all), got {route!r}')
    if values["fallback"] == name:
        raise t.error("fallback", "a carrier cannot fall back to itself")
    receipts = t.table("receipts")
    prices = t.table("prices")
    price_table = _prices(prices) if prices is not None else None
    smpp = _smpp(t) if values["protocol"] == "smpp" else None
    mm7 = _mm7(t) if values["protocol"] == "mm7" else None
    t.finish()
    return CarrierConfig(name=name, routes=routes, smpp=smpp, mm7=mm7, prices=price_table,
                         receipts=frozen(receipts.data if receipts else {}), **values)


def _smpp(t: Table) -> SmppSettings:
    d = SmppSettings
    registered = t.raw("registered_delivery")
    if registered is None:
        registered = d.registered_delivery
    elif isinstance(registered, bool):
        registered = int(registered)
    elif not isinstance(registered, int) or not 0 <= registered <= 255:
        raise t.error("registered_delivery", "must be true, false or an integer 0..255")
    from segmentation import LANGUAGES  # pure; the shift tables the encoder knows

    national = t.strings("national", ())
    for code in national:
        if code not in LANGUAGES:
            raise t.error("national", f"unknown language {code!r}; known: {', '.join(sorted(LANGUAGES))}")
    bits = t.integer("concat_ref_bits", d.concat_ref_bits)
    choices = d.__dataclass_fields__["concat_ref_bits"].metadata["key"].choices
    if bits not in choices:
        raise t.error("concat_ref_bits", f"must be {' or '.join(map(str, choices))}, got {bits}")
    return SmppSettings(registered_delivery=registered, national=frozenset(national), concat_ref_bits=bits,
                        **fields.read(t, SmppSettings))


def _mm7(t: Table) -> Mm7Settings:
    limits: dict[str, int] = {}
    sizes = t.table("size_limits")
    if sizes is not None:
        limits = {k: v for k, v in fields.read(sizes, SizeLimits).items() if v is not None}
        sizes.finish()
    return Mm7Settings(size_limits=MappingProxyType(limits), **fields.read(t, Mm7Settings))


def _prices(t: Table) -> PriceTable:
    unit = t.string("unit", PriceTable.unit)
    if not _UNIT.match(unit):
        raise t.error("unit", f"must be a three-letter currency code such as \"USD\", got {unit!r}")
    table = t.table("prefixes", optional=False)
    prices: list[tuple[str, Decimal]] = []
    for prefix, value in table.data.items():
        if not _PREFIX.match(prefix):
            raise table.error(prefix, 'each key is a "+digits" prefix ("+" matches all)')
        prices.append((prefix, _price(table, prefix, value)))
    t.finish()
    return PriceTable(unit=unit, prefixes=tuple(sorted(prices, key=lambda p: -len(p[0]))))


def _price(t: Table, key: str, value: object) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Decimal(value)
    if isinstance(value, str) and _PRICE.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern lets only decimals through
            pass
    raise t.error(key, f"must be a price as a string such as \"0.0075\" (digits, at most 8 "
                       f"decimals; not a TOML float), got {value!r}")


def frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of a TOML table (its tables and arrays too)."""
    return MappingProxyType({k: _freeze(v) for k, v in data.items()})


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return frozen(value)
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value
