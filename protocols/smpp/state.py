"""The bind state machine: one Enum, one transition table.

Theory of operation (after h11's `_state.py`):
- A session is in exactly one `BindState`. Both roles (ESME and SMSC) share it: a
  PDU is described by its *flow* (ESME->SMSC or SMSC->ESME), not by who sends it,
  so an ESME sending submit_sm and an SMSC receiving it look up the same row.
- Every PDU, sent or received, is an input `(state, flow, command_id, ok)`, where
  `ok` is command_status == 0 (always True for requests). `TRANSITIONS` maps the
  inputs that SMPP 3.4 (section 2.3, table 2-1) allows to the next state. A pair
  that is not in the table is a protocol error: `ESME_RINVBNDSTS` (or
  `ESME_RALYBND` for a second bind), never a silent no-op.
- Losing the connection moves any state to CLOSED; that is the one input that is
  not a PDU and so not in the table (`Session.connection_lost`).

    OPEN --bind--> BINDING --bind_resp ok--> BOUND_TX | BOUND_RX | BOUND_TRX
                     |  bind_resp error / generic_nack --> OPEN
    BOUND_* --unbind--> UNBINDING --unbind_resp--> UNBOUND
    (any) --connection lost--> CLOSED
"""
from __future__ import annotations

from enum import Enum

from .constants import CommandId as C


class BindState(Enum):
    OPEN = "open"            # connected, not bound
    BINDING = "binding"      # bind sent/received, its response not yet
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBINDING = "unbinding"  # unbind sent/received, unbind_resp not yet
    UNBOUND = "unbound"      # unbind answered: close the connection
    CLOSED = "closed"        # connection lost


class Role(Enum):
    ESME = "esme"  # the client: our carrier binds
    SMSC = "smsc"  # the server: our simulator


class Flow(Enum):
    E2S = "esme->smsc"
    S2E = "smsc->esme"


S = BindState
E2S, S2E = Flow.E2S, Flow.S2E
BOUND = (S.BOUND_TX, S.BOUND_RX, S.BOUND_TRX)
CAN_SUBMIT = (S.BOUND_TX, S.BOUND_TRX)   # the ESME may send messages
CAN_DELIVER = (S.BOUND_RX, S.BOUND_TRX)  # the SMSC may send messages
DRAINING = (S.UNBINDING, S.UNBOUND)      # late responses still match their requests

# Requests: (flow, command_id, states it is allowed in, next state or None = stay)
_REQUESTS = [
    (E2S, C.BIND_TRANSMITTER, (S.OPEN,), S.BINDING),
    (E2S, C.BIND_RECEIVER, (S.OPEN,), S.BINDING),
    (E2S, C.BIND_TRANSCEIVER, (S.OPEN,), S.BINDING),
    (S2E, C.OUTBIND, (S.OPEN,), None),
    (E2S, C.SUBMIT_SM, CAN_SUBMIT, None),
    (E2S, C.DATA_SM, CAN_SUBMIT, None),
    (E2S, C.QUERY_SM, CAN_SUBMIT, None),
    (E2S, C.CANCEL_SM, CAN_SUBMIT, None),
    (E2S, C.REPLACE_SM, CAN_SUBMIT, None),
    (S2E, C.DELIVER_SM, CAN_DELIVER, None),
    (S2E, C.DATA_SM, CAN_DELIVER, None),
    (S2E, C.ALERT_NOTIFICATION, CAN_DELIVER, None),
    (E2S, C.ENQUIRE_LINK, BOUND, None),
    (S2E, C.ENQUIRE_LINK, BOUND, None),
    (E2S, C.UNBIND, BOUND, S.UNBINDING),
    (S2E, C.UNBIND, BOUND, S.UNBINDING),
]

# Responses: (flow, command_id, states, next state if ok, next state if error)
_RESPONSES = [
    (S2E, C.BIND_TRANSMITTER_RESP, (S.BINDING,), S.BOUND_TX, S.OPEN),
    (S2E, C.BIND_RECEIVER_RESP, (S.BINDING,), S.BOUND_RX, S.OPEN),
    (S2E, C.BIND_TRANSCEIVER_RESP, (S.BINDING,), S.BOUND_TRX, S.OPEN),
    (S2E, C.SUBMIT_SM_RESP, CAN_SUBMIT + DRAINING, None, None),
    (S2E, C.QUERY_SM_RESP, CAN_SUBMIT + DRAINING, None, None),
    (S2E, C.CANCEL_SM_RESP, CAN_SUBMIT + DRAINING, None, None),
    (S2E, C.REPLACE_SM_RESP, CAN_SUBMIT + DRAINING, None, None),
    (S2E, C.DATA_SM_RESP, CAN_SUBMIT + DRAINING, None, None),
    (E2S, C.DELIVER_SM_RESP, CAN_DELIVER + DRAINING, None, None),
    (E2S, C.DATA_SM_RESP, CAN_DELIVER + DRAINING, None, None),
    (E2S, C.ENQUIRE_LINK_RESP, BOUND + DRAINING, None, None),
    (S2E, C.ENQUIRE_LINK_RESP, BOUND + DRAINING, None, None),
    (E2S, C.UNBIND_RESP, (S.UNBINDING,), S.UNBOUND, S.UNBOUND),
    (S2E, C.UNBIND_RESP, (S.UNBINDING,), S.UNBOUND, S.UNBOUND),
    # generic_nack answers anything; refusing a bind sends the session back to OPEN
    (E2S, C.GENERIC_NACK, (S.OPEN,) + BOUND + DRAINING, None, None),
    (S2E, C.GENERIC_NACK, (S.OPEN,) + BOUND + DRAINING, None, None),
    (E2S, C.GENERIC_NACK, (S.BINDING,), S.OPEN, S.OPEN),
    (S2E, C.GENERIC_NACK, (S.BINDING,), S.OPEN, S.OPEN),
]


def _build() -> dict[tuple[BindState, Flow, int, bool], BindState]:
    table: dict[tuple[BindState, Flow, int, bool], BindState] = {}
    for flow, command_id, states, next_state in _REQUESTS:
        for state in states:
            table[state, flow, command_id, True] = next_state or state
    for flow, command_id, states, if_ok, if_error in _RESPONSES:
        for state in states:
            table[state, flow, command_id, True] = if_ok or state
            table[state, flow, command_id, False] = if_error or state
    return table


TRANSITIONS = _build()
"""(state, flow, command_id, ok) -> next state. Absent key = not allowed."""

RULES: dict[Flow, dict[BindState, dict[tuple[int, bool], BindState]]] = {
    flow: {state: {(c, ok): n for (s, f, c, ok), n in TRANSITIONS.items() if s is state and f is flow}
           for state in BindState}
    for flow in Flow
}
"""The same table split by flow and state, so the session's hot path looks up a
plain (command_id, ok) key (Enum members hash in Python, ints hash in C)."""

BIND_COMMANDS = frozenset((C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER))


def next_state(state: BindState, flow: Flow, command_id: int, ok: bool = True) -> BindState | None:
    """The state after this input, or None when SMPP does not allow it here."""
    return TRANSITIONS.get((state, flow, command_id, ok))
