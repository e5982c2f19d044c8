"""Settings of one carrier's SMPP binds.

:class:`BindSettings` is the one type of these knobs and their defaults; the
daemon's ``gateway.config.carriers.SmppSettings`` extends it with how messages are
encoded.  ``coerce`` takes a BindSettings (or subclass) as is, or a mapping
(labs and tests), filling what is missing with the defaults below.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from protocols.smpp.constants import DEFAULT_MAX_COMMAND_LENGTH

BIND_TYPES = ("transmitter", "receiver", "transceiver", "transmitter+receiver")
_BIND_ALIASES = {"tx": "transmitter", "rx": "receiver", "trx": "transceiver",
                 "tx+rx": "transmitter+receiver"}


@dataclass(frozen=True)
class BindSettings:
    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str = ""
    password: str = field(default="", repr=False)
    system_type: str = ""
    bind: str = "transceiver"        # or transmitter, receiver, transmitter+receiver
    binds: int = 1                   # connections (pairs for transmitter+receiver)
    window: int = 10                 # outstanding requests per bind
    max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH  # longer PDUs: generic_nack, close
    max_tps: float = 0.0             # per bind; 0 = no cap
    registered_delivery: int = 1
    enquire_link_interval: float = 30.0
    response_timeout: float = 10.0   # per request, also for bind and unbind
    retries: int = 2                 # resends after a timeout before 30090
    connect_timeout: float = 10.0
    drain_timeout: float = 10.0      # graceful stop waits this long for the window
    tls: bool = False
    tls_verify: bool = True
    tls_ca: str | None = None        # PEM file of trusted CAs; None = system store
    tls_hostname: str | None = None  # name to verify; None = host
    interface_version: int = 0x34
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""
    # Retry budgets from a message's first refusal (then 30001); 0 retries = no count limit.
    queue_full_retry_for: float = 120.0   # ESME_RMSGQFUL
    queue_full_max_retries: int = 0
    throttle_retry_for: float = 300.0     # ESME_RTHROTTLED
    throttle_max_retries: int = 0
    qfull_backoff: float = 1.0       # first wait after ESME_RMSGQFUL, doubling
    qfull_backoff_max: float = 10.0  # ... up to this
    reconnect_initial: float = 1.0
    reconnect_max: float = 60.0
    auth_failure_delay: float = 120.0

    def __post_init__(self) -> None:
        bind = _BIND_ALIASES.get(self.bind, self.bind)
        if bind not in BIND_TYPES:
            raise ValueError(f"bind must be one of {', '.join(BIND_TYPES)}, not {self.bind!r}")
        object.__setattr__(self, "bind", bind)
        if self.window < 1:
            raise ValueError("window must be at least 1")
        if self.binds < 1:
            raise ValueError("binds must be at least 1")

    @property
    def connection_kinds(self) -> tuple[str, ...]:
        """The bind kind of each connection in one bind slot."""
        if self.bind == "transmitter+receiver":
            return ("transmitter", "receiver")
        return (self.bind,)


_NAMES = tuple(f.name for f in fields(BindSettings))


def coerce(settings: Any = None, **overrides: Any) -> BindSettings:
    """A BindSettings from a BindSettings (returned as is) or a mapping."""
    if isinstance(settings, BindSettings):
        return replace(settings, **overrides) if overrides else settings
    if settings is not None and not isinstance(settings, Mapping):
        raise TypeError(f"SMPP settings must be BindSettings or a mapping, not {type(settings).__name__}")
    values = {k: v for k, v in (settings or {}).items() if k in _NAMES}
    values.update(overrides)
    return BindSettings(**values)
