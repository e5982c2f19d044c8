"""Building :class:`gateway.config.model.Config` from checked TOML tables."""
from __future__ import annotations

import os
import re
from types import MappingProxyType
from typing import Any, Mapping

from gateway.config import model as c
from gateway.config.read import ConfigError, Table, parse_listen

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_SHORT_CODE = re.compile(r"^\d{3,8}$")
_PREFIX = re.compile(r"^\+\d{0,15}$")
_COUNTRY_CODE = re.compile(r"^[1-9][0-9]{0,2}\Z")
_SIZE_KINDS = ("long_code", "short_code", "toll_free")


def build_config(top: Table, source: str) -> c.Config:
    api = _api(top.table("api"))
    store = _store(top.table("store"))
    accounts = _accounts(top, source)
    numbers = _numbers(top, source, {a.sid for a in accounts})
    services = _messaging_services(top, source, {a.sid for a in accounts})
    from gateway.config.sdk import applications_section

    applications = applications_section(top, source, {a.sid for a in accounts})
    carriers = _carriers(top, source)
    pipeline = _pipeline(top.table("pipeline"))
    callbacks = _callbacks(top.table("callbacks"))
    media = _media(top.table("media"))
    from gateway.config.guards import ops_section

    ops = ops_section(top.table("ops"))
    from gateway.config.console import console_section

    console = console_section(top.table("console"))
    cluster = _cluster(top.table("cluster"))
    receipts = top.table("receipts")
    log = top.table("log")
    level = "info"
    if log is not None:
        level = log.string("level", "info", choices=("debug", "info", "warn", "error"))
        log.finish()
    top.finish()
    _check_receipts(source, receipts.data if receipts else {}, carriers)
    return c.Config(
        api=api, store=store, accounts=accounts, numbers=numbers, messaging_services=services,
        applications=applications, carriers=carriers, pipeline=pipeline, callbacks=callbacks, media=media, ops=ops,
        console=console, cluster=cluster,
        receipts=_frozen(receipts.data if receipts else {}), log_level=level, source=source,
    )


def _check_receipts(source: str, table: Mapping[str, Any], carriers) -> None:
    """[receipts] and each [carriers.receipts] as the receipts translator reads them."""
    from gateway.config.model import ReceiptSettings
    from gateway.sms.receipts.profiles import read as read_profiles
    from gateway.sms.receipts.translator import ProfileError, carrier_profile

    try:
        ReceiptSettings.from_mapping({k: v for k, v in table.items() if k != "profiles"})
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


def _api(t: Table | None) -> c.ApiConfig:
    if t is None:
        return c.ApiConfig()
    host, port = parse_listen(t, "listen", "127.0.0.1:8080")
    max_body = t.integer("max_body_bytes", c.ApiConfig.max_body_bytes, lo=1024, hi=64 << 20)
    public_url = t.url("public_url", None)
    from gateway.config.guards import api_limits

    limits = api_limits(t)
    country = t.string("default_country_code", None)
    if country is not None and not _COUNTRY_CODE.match(country):
        raise t.error("default_country_code", f"must be a country calling code of 1-3 digits "
                                              f"without '+' (\"44\"), got {country!r}")
    t.finish()
    return c.ApiConfig(host=host, port=port, max_body_bytes=max_body, public_url=public_url,
                       default_country_code=country, **limits)


def _store(t: Table | None) -> c.StoreConfig:
    if t is None:
        return c.StoreConfig()
    url = t.string("url", c.StoreConfig.url, nonempty=True)
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise t.error("url", f"must be a sqlite:/// or postgresql+psycopg:// URL, got {url.split(':')[0]!r}")
    writer = t.string("writer", c.StoreConfig.writer, choices=c.STORE_WRITERS)
    retention_days = t.number("retention_days", None, positive=True)
    cache_mb = t.integer("cache_mb", c.StoreConfig.cache_mb, lo=1, hi=65536)
    mmap_mb = t.integer("mmap_mb", c.StoreConfig.mmap_mb, lo=0, hi=1 << 20)
    t.finish()
    return c.StoreConfig(url=url, writer=writer, retention_days=retention_days, cache_mb=cache_mb,
                         mmap_mb=mmap_mb)


def _accounts(top: Table, source: str) -> tuple[c.Account, ...]:
    out: list[c.Account] = []
    for i, raw in enumerate(top.tables("accounts")):
        t = Table(raw, source, f"accounts[{i}]")
        sid = t.string("sid", nonempty=True, max_len=64)
        t.prefix = f"accounts[{i}] {sid!r}"
        token = t.string("auth_token", nonempty=True, max_len=256)
        name = t.string("friendly_name", "")
        t.finish()
        if any(a.sid == sid for a in out):
            raise t.error("sid", "duplicate account sid")
        out.append(c.Account(sid=sid, auth_token=token, friendly_name=name))
    return tuple(out)


def _numbers(top: Table, source: str, account_sids: set[str]) -> tuple[c.Number, ...]:
    out: list[c.Number] = []
    for i, raw in enumerate(top.tables("numbers")):
        t = Table(raw, source, f"numbers[{i}]")
        number = t.string("number", nonempty=True)
        if not (_E164.match(number) or _SHORT_CODE.match(number)):
            raise t.error("number", f"must be E.164 (+15551234567) or a short code, got {number!r}")
        t.prefix = f"numbers[{i}] {number!r}"
        account = t.account(account_sids)
        sms_url = t.url("sms_url", None)
        method = t.string("sms_method", "POST").upper()
        if method not in ("GET", "POST"):
            raise t.error("sms_method", f"must be GET or POST, got {method!r}")
        api = t.string("api", "messages")
        if api not in ("messages", "sms"):
            raise t.error("api", f"must be \"messages\" or \"sms\", got {api!r}")
        t.finish()
        if any(n.number == number for n in out):
            raise t.error("number", "duplicate number")
        out.append(c.Number(number=number, account=account, sms_url=sms_url, sms_method=method,
                            api=api))
    return tuple(out)


def _messaging_services(top: Table, source: str, account_sids: set[str]
                        ) -> tuple[c.MessagingService, ...]:
    out: list[c.MessagingService] = []
    for i, raw in enumerate(top.tables("messaging_services")):
        t = Table(raw, source, f"messaging_services[{i}]")
        sid = t.string("sid", nonempty=True, max_len=34)
        t.prefix = f"messaging_services[{i}] {sid!r}"
        account = t.account(account_sids)
        numbers = tuple(t.strings("numbers"))
        if not numbers:
            raise t.error("numbers", "needs at least one number")
        for number in numbers:
            if not (_E164.match(number) or _SHORT_CODE.match(number)):
                raise t.error("numbers", f"must be E.164 (+15551234567) or short codes, got {number!r}")
        t.finish()
        if any(s.sid == sid for s in out):
            raise t.error("sid", "duplicate messaging service sid")
        out.append(c.MessagingService(sid=sid, account=account, numbers=numbers))
    return tuple(out)


def _carriers(top: Table, source: str) -> tuple[c.CarrierConfig, ...]:
    out: list[c.CarrierConfig] = []
    tables: list[Table] = []
    for i, raw in enumerate(top.tables("carriers")):
        t = Table(raw, source, f"carriers[{i}]")
        name = t.string("name", nonempty=True, max_len=64)
        t.prefix = f"carriers[{i}] {name!r}"
        if any(o.name == name for o in out):
            raise t.error("name", "duplicate carrier name")
        protocol = t.string("protocol", "smpp", choices=("smpp", "mm7"))
        routes = t.strings("routes", ())
        for route in routes:
            if not _PREFIX.match(route):
                raise t.error("routes", f'each route is a "+digits" prefix ("+" matches all), got {route!r}')
        fallback = t.string("fallback", None, nonempty=True)
        if fallback == name:
            raise t.error("fallback", "a carrier cannot fall back to itself")
        receipts = t.table("receipts")
        from gateway.config.sdk import prices_section

        prices = prices_section(t.table("prices"))
        smpp = _smpp(t) if protocol == "smpp" else None
        mm7 = _mm7(t) if protocol == "mm7" else None
        t.finish()
        tables.append(t)
        out.append(c.CarrierConfig(
            name=name, protocol=protocol, routes=routes, fallback=fallback, smpp=smpp, mm7=mm7,
            receipts=_frozen(receipts.data if receipts else {}), prices=prices,
        ))
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


def _smpp(t: Table) -> c.SmppSettings:
    d = c.SmppSettings
    registered = t._get("registered_delivery", True)
    if isinstance(registered, bool):
        registered = int(registered)
    elif not isinstance(registered, int) or not 0 <= registered <= 255:
        raise t.error("registered_delivery", "must be true, false or an integer 0..255")
    from segmentation import LANGUAGES  # pure; the shift tables the encoder knows

    national = t.strings("national", ())
    for code in national:
        if code not in LANGUAGES:
            raise t.error("national", f"unknown language {code!r}; known: {', '.join(sorted(LANGUAGES))}")
    return c.SmppSettings(
        host=t.string("host", nonempty=True),
        port=t.integer("port", lo=1, hi=65535),
        system_id=t.string("system_id", nonempty=True, max_len=15),
        password=t.string("password", "", max_len=8),
        system_type=t.string("system_type", "", max_len=12),
        bind=t.string("bind", d.bind, choices=c.BIND_TYPES),
        binds=t.integer("binds", d.binds, lo=1, hi=64),
        window=t.integer("window", d.window, lo=1, hi=10000),
        max_tps=t.number("max_tps", d.max_tps, lo=0),
        registered_delivery=registered,
        enquire_link_interval=t.number("enquire_link_interval", d.enquire_link_interval, positive=True),
        response_timeout=t.number("response_timeout", d.response_timeout, positive=True),
        retries=t.integer("retries", d.retries, lo=0, hi=20),
        connect_timeout=t.number("connect_timeout", d.connect_timeout, positive=True),
        drain_timeout=t.number("drain_timeout", d.drain_timeout, lo=0),
        reconnect_initial=t.number("reconnect_initial", d.reconnect_initial, positive=True),
        reconnect_max=t.number("reconnect_max", d.reconnect_max, positive=True),
        tls=t.boolean("tls", False),
        tls_verify=t.boolean("tls_verify", True),
        tls_ca=t.string("tls_ca", None, nonempty=True),
        national=frozenset(national),
        concat_ref_bits=_ref_bits(t),
        segment_mode=t.string("segment_mode", d.segment_mode, choices=c.SEGMENT_MODES),
        max_length=t.integer("max_length", d.max_length, lo=1, hi=65535),
        default_alphabet=t.string("default_alphabet", d.default_alphabet, choices=c.DEFAULT_ALPHABETS),
        validity_format=t.string("validity_format", d.validity_format, choices=c.VALIDITY_FORMATS),
        queue_full_retry_for=t.number("queue_full_retry_for", d.queue_full_retry_for, positive=True),
        queue_full_max_retries=t.integer("queue_full_max_retries", d.queue_full_max_retries, lo=0),
        throttle_retry_for=t.number("throttle_retry_for", d.throttle_retry_for, positive=True),
        throttle_max_retries=t.integer("throttle_max_retries", d.throttle_max_retries, lo=0),
    )


def _ref_bits(t: Table) -> int:
    bits = t.integer("concat_ref_bits", 8)
    if bits not in (8, 16):
        raise t.error("concat_ref_bits", f"must be 8 or 16, got {bits}")
    return bits


def _mm7(t: Table) -> c.Mm7Settings:
    limits: dict[str, int] = {}
    sizes = t.table("size_limits")
    if sizes is not None:
        for kind in _SIZE_KINDS:
            if sizes.has(kind):
                limits[kind] = sizes.integer(kind, lo=1024)
        sizes.finish()
    return c.Mm7Settings(
        url=t.url("url"),
        vasp_id=t.string("vasp_id", ""),
        vas_id=t.string("vas_id", ""),
        service_code=t.string("service_code", ""),
        username=t.string("username", ""),
        password=t.string("password", ""),
        mm7_version=t.string("mm7_version", "6.8.0", choices=c.MM7_VERSIONS),
        use_prefix=t.boolean("use_prefix", True),
        timeout=t.number("timeout", 30.0, positive=True),
        retries=t.integer("retries", 2, lo=0, hi=20),
        size_limits=MappingProxyType(limits),
        mm7_namespace=t.string("mm7_namespace", None, nonempty=True) or "",
        ca_file=_readable(t, "ca_file"),
        inbound_username=t.string("inbound_username", None),
        inbound_password=t.string("inbound_password", ""),
    )


def _readable(t: Table, name: str) -> str | None:
    path = t.string(name, None, nonempty=True)
    if path is not None and not os.path.isfile(path):
        raise t.error(name, f"no such file: {path!r}")
    return path


def _pipeline(t: Table | None) -> c.PipelineConfig:
    if t is None:
        return c.PipelineConfig()
    d = c.PipelineConfig
    out = c.PipelineConfig(
        poll_interval=t.number("poll_interval", d.poll_interval, positive=True),
        batch_size=t.integer("batch_size", d.batch_size, lo=1, hi=100000),
        max_in_flight=t.integer("max_in_flight", d.max_in_flight, lo=1),
        mid_send_policy=t.string("mid_send_policy", d.mid_send_policy, choices=c.MID_SEND_POLICIES),
    )
    t.finish()
    return out


def _cluster(t: Table | None) -> c.ClusterConfig:
    if t is None:
        return c.ClusterConfig()
    d = c.ClusterConfig
    node_id = t.string("node_id", None, max_len=128, nonempty=True)
    out = c.ClusterConfig(node_id=node_id or c.ClusterConfig().node_id,
                          heartbeat=t.number("heartbeat", d.heartbeat, positive=True),
                          lease_timeout=t.number("lease_timeout", d.lease_timeout, positive=True))
    if out.lease_timeout <= out.heartbeat:
        raise t.error("lease_timeout", f"must be longer than heartbeat ({out.heartbeat}), "
                                       f"got {out.lease_timeout}")
    t.finish()
    return out


def _callbacks(t: Table | None) -> c.CallbacksConfig:
    if t is None:
        return c.CallbacksConfig()
    d = c.CallbacksConfig
    out = c.CallbacksConfig(
        retry_for=t.number("retry_for", d.retry_for, lo=0),
        initial_backoff=t.number("initial_backoff", d.initial_backoff, positive=True),
        max_backoff=t.number("max_backoff", d.max_backoff, positive=True),
        timeout=t.number("timeout", d.timeout, positive=True),
        concurrency=t.integer("concurrency", d.concurrency, lo=1, hi=1024),
        poll_interval=t.number("poll_interval", d.poll_interval, positive=True),
        per_host_concurrency=t.integer("per_host_concurrency", d.per_host_concurrency, lo=1, hi=1024),
        connect_timeout=t.number("connect_timeout", d.connect_timeout, positive=True),
        allow_hosts=t.strings("allow_hosts", ()),
    )
    from gateway.common.weburl import allow_entry

    for entry in out.allow_hosts:
        try:
            allow_entry(entry)
        except ValueError as e:
            raise t.error("allow_hosts", str(e)) from None
    if out.max_backoff < out.initial_backoff:
        raise t.error("max_backoff", "must be at least initial_backoff")
    t.finish()
    return out


def _media(t: Table | None) -> c.MediaConfig:
    if t is None:
        return c.MediaConfig()
    d = c.MediaConfig
    out = c.MediaConfig(
        allow_private_addresses=t.boolean("allow_private_addresses", False),
        fetch_timeout=t.number("fetch_timeout", d.fetch_timeout, positive=True),
        max_bytes=t.integer("max_bytes", d.max_bytes, lo=1024),
        max_redirects=t.integer("max_redirects", d.max_redirects, lo=0, hi=20),
        min_image_quality=t.integer("min_image_quality", d.min_image_quality, lo=1, hi=95),
        min_image_side=t.integer("min_image_side", d.min_image_side, lo=1, hi=10000),
    )
    t.finish()
    return out


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType({k: _freeze(v) for k, v in data.items()})


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _frozen(value)
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


__all__ = ["build_config", "ConfigError"]
