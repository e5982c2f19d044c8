"""What the SMSC simulator does: one frozen config, built from named behaviours.

Every knob the simulator has is a field of :class:`SimConfig`; a behaviour
(see ``behaviours.py``) is only a named set of field values, so a test or an
operator can start from ``ThrottleAboveSMSC`` and still change its TPS.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from protocols.smpp.constants import DEFAULT_MAX_COMMAND_LENGTH

# SMPP 3.4 message_state values of the receipt outcomes the simulator can send
# (section 5.2.28), and the network error it reports for the failed ones.
OUTCOME_STATES = MappingProxyType({
    "DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5,
    "ACCEPTD": 6, "UNKNOWN": 7, "REJECTD": 8, "ENROUTE": 1,
})
OUTCOME_ERRORS = MappingProxyType({
    # stat -> (err: text value, GSM MAP cause for network_error_code type 3)
    "DELIVRD": (0, 0), "ENROUTE": (0, 0), "ACCEPTD": (0, 0), "UNKNOWN": (0, 0),
    "UNDELIV": (1, 1),     # unknown subscriber
    "EXPIRED": (27, 27),   # absent subscriber
    "DELETED": (0, 0),
    "REJECTD": (11, 11),   # teleservice not provisioned
})
ID_FORMATS = ("hex", "decimal", "uuid")
RECEIPT_ID_FORMATS = ("same", "hex", "decimal")


@dataclass(frozen=True)
class SimConfig:
    # Binds: None = any system_id/password; else system_id -> password.
    credentials: Mapping[str, str] | None = None
    system_id: str = "SMSCSIM"
    window: int = 1000                  # deliver_sm in flight per bind before queueing
    max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH  # longer: generic_nack, close
    redeliver_delay: float = 5.0        # a deliver_sm answered with an error is resent after this
    redeliver_attempts: int = 3         # ... this many times at most
    # Message ids and receipts.
    id_format: str = "hex"
    id_start: int = 1
    receipt_id_format: str = "same"     # or the same number as "hex"/"decimal" in receipts
                                        # (carriers answer 0x1A2B and report 6699)
    receipt_delay: float = 0.1          # seconds after the submit_sm_resp is written (0: in
                                        # the next write; see smsc.py on TX+RX pairs)
    receipt_jitter: float = 0.0         # plus uniform 0..jitter
    outcomes: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({"DELIVRD": 1.0}))
    receipt_before_response: bool = False
    receipts_any_bind: bool = False     # receipts to any receiver bind of the system_id,
                                        # not the transceiver the submit came on
    drop_receipt_ratio: float = 0.0     # ratio of receipts decided but never sent (query_sm
                                        # still answers with the message's state)
    # Error injection on submit_sm (applies in this order).
    drop_on_submit: float = 0.0         # ratio of submits that close the connection
    unbind_on_submit: float = 0.0       # ratio of submits answered with an unbind
    no_response_ratio: float = 0.0      # ratio of submits never answered
    error_ratio: float = 0.0            # ratio answered with error_status
    error_status: int = 0x08            # ESME_RSYSERR
    throttle_tps: float = 0.0           # ESME_RTHROTTLED above this rate per bind; 0 = off
    queue_full_ratio: float = 0.0       # ratio answered ESME_RMSGQFUL
    throttle_ratio: float = 0.0         # ratio answered ESME_RTHROTTLED, whatever the rate
    queue_full_after: int = 0           # a queue-full episode: after this many submit_sm,
    queue_full_for: float = 0.0         #   every one answered ESME_RMSGQFUL for this long (s)
    response_delay: float = 0.0         # seconds before each submit_sm_resp
    # Whole-session misbehaviour.
    silent: bool = False                # after the bind, answer nothing at all
    ignore_enquire_link: bool = False
    bind_status: int = 0                # non-zero: refuse every bind with it
    # Mobile-originated traffic sent to every receiver/transceiver bind.
    mo_every: float = 0.0               # seconds between MO messages; 0 = none
    mo_source: str = "+15550001111"
    mo_destination: str = "+15550002222"
    mo_text: str = "Hello from the SMSC simulator"
    mo_concat: str = "udh"              # how long MO parts are tied: "udh" or "sar"
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.mo_concat not in ("udh", "sar"):
            raise ValueError("mo_concat must be udh or sar")
        if self.id_format not in ID_FORMATS:
            raise ValueError(f"id_format must be one of {', '.join(ID_FORMATS)}")
        if self.receipt_id_format not in RECEIPT_ID_FORMATS:
            raise ValueError(f"receipt_id_format must be one of {', '.join(RECEIPT_ID_FORMATS)}")
        if self.receipt_id_format != "same" and self.id_format == "uuid":
            raise ValueError("receipt_id_format needs numeric ids (id_format hex or decimal)")
        unknown = sorted(set(self.outcomes) - set(OUTCOME_STATES))
        if unknown:
            raise ValueError(f"unknown receipt outcome {', '.join(unknown)}; "
                             f"known: {', '.join(OUTCOME_STATES)}")
        if self.outcomes and sum(self.outcomes.values()) <= 0:
            raise ValueError("outcome weights must add up to more than 0")
        for name in ("drop_on_submit", "unbind_on_submit", "no_response_ratio",
                     "error_ratio", "queue_full_ratio", "throttle_ratio",
                     "drop_receipt_ratio"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")

    def with_changes(self, **changes: Any) -> "SimConfig":
        return replace(self, **changes)


def parse_outcomes(text: str) -> Mapping[str, float]:
    """``"DELIVRD=90,UNDELIV=5,EXPIRED=5"`` -> weights (a bare stat weighs 1)."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        stat, _, weight = item.partition("=")
        stat = stat.strip().upper()
        if stat not in OUTCOME_STATES:
            raise ValueError(f"unknown receipt outcome {stat!r}; known: {', '.join(OUTCOME_STATES)}")
        try:
            weights[stat] = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"bad weight {weight!r} for {stat}") from None
    if not weights:
        raise ValueError("no receipt outcomes given")
    return MappingProxyType(weights)
