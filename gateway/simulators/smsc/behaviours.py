"""The catalogue of named SMSC behaviours.

Each behaviour is a named set of :class:`SimConfig` values, describing one
way a real SMSC behaves or misbehaves.  Tests, the daemon's demo and
``carrier-gateway simulate smsc --behaviour NAME`` pick them by name; the
kebab-case name and the class-style name are both accepted
(``no-response-on-submit`` or ``NoResponseOnSubmitSMSC``).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from gateway.simulators.smsc.config import SimConfig


@dataclass(frozen=True)
class Behaviour:
    name: str
    class_name: str
    description: str
    settings: Mapping[str, Any]

    def config(self, base: SimConfig | None = None, **changes: Any) -> SimConfig:
        """``base`` (or the defaults) with this behaviour, then ``changes``, applied."""
        return (base or SimConfig()).with_changes(**{**self.settings, **changes})


def _b(name: str, class_name: str, description: str, **settings: Any) -> Behaviour:
    return Behaviour(name, class_name, description, MappingProxyType(settings))


CATALOGUE: Mapping[str, Behaviour] = MappingProxyType({b.name: b for b in (
    _b("normal", "NormalSMSC", "accepts every submit_sm; receipts when asked"),
    _b("black-hole", "BlackHoleSMSC",
       "answers the bind, then nothing at all (not even enquire_link)", silent=True),
    _b("no-response-on-submit", "NoResponseOnSubmitSMSC",
       "answers binds and enquire_link, never a submit_sm", no_response_ratio=1.0),
    _b("silent-enquire-link", "SilentEnquireLinkSMSC",
       "answers everything but enquire_link", ignore_enquire_link=True),
    _b("throttle-above", "ThrottleAboveSMSC",
       "ESME_RTHROTTLED above 100 submit_sm/s per bind (change with throttle_tps)",
       throttle_tps=100.0),
    _b("queue-full", "QueueFullSMSC", "answers every submit_sm ESME_RMSGQFUL",
       queue_full_ratio=1.0),
    _b("throttle-share", "ThrottleShareSMSC",
       "ESME_RTHROTTLED to half of all submit_sm, whatever the rate (change with "
       "throttle_ratio)", throttle_ratio=0.5),
    _b("queue-full-episode", "QueueFullEpisodeSMSC",
       "after 100 submit_sm, ESME_RMSGQFUL to every one for 60 s (as SMPPSim when its "
       "queue fills; change with queue_full_after, queue_full_for)",
       queue_full_after=100, queue_full_for=60.0),
    _b("error-on-submit", "ErrorOnSubmitSMSC",
       "answers every submit_sm with error_status (ESME_RSYSERR)", error_ratio=1.0),
    _b("flaky", "FlakySMSC",
       "5% ESME_RSYSERR, 1% unanswered, mixed receipts", error_ratio=0.05,
       no_response_ratio=0.01,
       outcomes=MappingProxyType({"DELIVRD": 90, "UNDELIV": 5, "EXPIRED": 3, "REJECTD": 2})),
    _b("slow", "SlowResponseSMSC", "answers each submit_sm after 2 s", response_delay=2.0),
    _b("drop-on-submit", "DropOnSubmitSMSC",
       "closes the connection when a submit_sm arrives", drop_on_submit=1.0),
    _b("unbind-on-submit", "UnbindOnSubmitSMSC",
       "answers a submit_sm with an unbind", unbind_on_submit=1.0),
    _b("reject-bind", "RejectBindSMSC", "refuses every bind with ESME_RBINDFAIL",
       bind_status=0x0D),
    _b("bad-password", "BadPasswordSMSC", "refuses every bind with ESME_RINVPASWD",
       bind_status=0x0E),
    _b("receipt-before-response", "ReceiptBeforeResponseSMSC",
       "sends the receipt at once, the submit_sm_resp 10 ms later (the race the normal "
       "behaviour avoids)", receipt_before_response=True),
    _b("decimal-receipt-ids", "DecimalReceiptIdsSMSC",
       "hex message ids in submit_sm_resp, the same numbers in decimal in receipts",
       id_format="hex", receipt_id_format="decimal"),
    _b("receipts-any-bind", "ReceiptsOnAnyBindSMSC",
       "sends each receipt to any receiver bind of the account, round-robin",
       receipts_any_bind=True),
    _b("drop-receipts", "DropReceiptsSMSC",
       "never sends a receipt; query_sm answers with each message's final state at once",
       drop_receipt_ratio=1.0, receipt_delay=0.0),
    _b("mixed-receipts", "MixedReceiptsSMSC",
       "receipts 80% DELIVRD, 10% UNDELIV, 5% EXPIRED, 5% REJECTD after 0-1 s",
       receipt_jitter=1.0,
       outcomes=MappingProxyType({"DELIVRD": 80, "UNDELIV": 10, "EXPIRED": 5, "REJECTD": 5})),
)})

_BY_ANY_NAME = {**{k.lower(): v for k, v in CATALOGUE.items()},
                **{v.class_name.lower(): v for v in CATALOGUE.values()}}


def behaviour(name: str) -> Behaviour:
    """The behaviour called ``name`` (either spelling, any case)."""
    try:
        return _BY_ANY_NAME[name.strip().lower().replace("_", "-")]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise KeyError(f"unknown SMSC behaviour {name!r}; known: {known}") from None
