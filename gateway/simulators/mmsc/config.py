"""Settings of the MMSC simulator and the parsing of ``--status-mix``."""
from __future__ import annotations

from dataclasses import dataclass, field

MM_STATUSES = ("Retrieved", "Forwarded", "Expired", "Rejected", "Unrecognised", "Deferred",
               "Indeterminate", "DeliveryConditionNotMet")


@dataclass(frozen=True)
class MmscConfig:
    report_url: str | None = None  # where DeliveryReportReq go (the gateway's /mm7/{carrier})
    deliver_url: str | None = None  # where DeliverReq go; default: report_url
    report_delay: float = 1.0  # seconds between SubmitRsp and the DeliveryReportReq
    report_attempts: int = 3  # a DR the gateway does not acknowledge is sent again
    status_mix: tuple[tuple[str, float], ...] = (("Retrieved", 1.0),)
    fault_rate: float = 0.0  # fraction of SubmitReq answered with an RSErrorRsp fault
    fault_code: int = 3001  # MM7 status of injected faults (3xxx: the gateway retries)
    slow: float = 0.0  # seconds to wait before answering each SubmitReq
    max_size: int | None = None  # MMs whose content is larger get 2004 "Message size exceeds limit"
    validate: bool = True  # check every SubmitReq against the MM7 + SOAP schemas
    username: str = ""  # when set, Basic auth is required on SubmitReq
    password: str = field(default="", repr=False)
    gateway_username: str = ""  # Basic auth sent with DeliveryReportReq / DeliverReq
    gateway_password: str = field(default="", repr=False)
    version: str = "6.8.0"
    relay_server_id: str = "mmsc-sim"
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.status_mix or sum(w for _, w in self.status_mix) <= 0:
            raise ValueError("status mix needs at least one positive weight")
        for name, weight in self.status_mix:
            if name not in MM_STATUSES or weight < 0:
                raise ValueError(f"bad status mix entry {name}={weight}; MMStatus is one of {', '.join(MM_STATUSES)}")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")


def parse_mix(text: str) -> tuple[tuple[str, float], ...]:
    """``"Retrieved=90,Expired=5,Rejected=5"`` -> weights (a bare name weighs 1)."""
    out = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, weight = item.partition("=")
        canonical = next((s for s in MM_STATUSES if s.lower() == name.strip().lower()), None)
        if canonical is None:
            raise ValueError(f"unknown MMStatus {name.strip()!r}; use one of {', '.join(MM_STATUSES)}")
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"bad weight {weight!r} for {canonical}") from None
        out.append((canonical, value))
    return tuple(out)
