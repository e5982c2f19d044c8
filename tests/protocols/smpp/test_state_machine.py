"""Hypothesis over every (role, state, input) pair, after h2's test_state_machines:
the session follows TRANSITIONS exactly, and a pair not in the table is an error
(LocalProtocolError when we send it, the right refusal when the peer does)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.smpp import (PDU_TYPES, BindReceiver, BindState, BindTransceiver,
                            BindTransmitter, CommandStatus, GenericNack,
                            LocalProtocolError, ProtocolError, RequestReceived, Role,
                            Unbind, decode, encode)
from protocols.smpp.state import BIND_COMMANDS, TRANSITIONS, Flow

from .helpers import ConnectionPair

S = BindState
REQUEST_TYPES = [cls for cls in PDU_TYPES if not cls.is_response]
BINDS = {S.BOUND_TX: BindTransmitter, S.BOUND_RX: BindReceiver, S.BOUND_TRX: BindTransceiver}


def pair_in(state: BindState) -> ConnectionPair:
    """A pair whose two sessions are both in `state` (BINDING: the bind is in flight)."""
    pair = ConnectionPair(window=1000)
    if state is S.OPEN:
        return pair
    if state is S.BINDING:
        pair.esme.send_request(BindTransceiver())
        pair.to_smsc()
        return pair
    pair.bind(BINDS.get(state, BindTransceiver)())
    if state in BINDS:
        return pair
    pair.esme.send_request(Unbind())
    (unbind, _) = pair.to_smsc()
    if state is S.UNBOUND:
        pair.smsc.send_response(unbind.pdu.response())
        pair.to_esme()
    elif state is S.CLOSED:
        pair.esme.connection_lost()
        pair.smsc.connection_lost()
    assert pair.esme.state is pair.smsc.state is state
    return pair


def flows(role: Role) -> tuple[Flow, Flow]:
    return (Flow.E2S, Flow.S2E) if role is Role.ESME else (Flow.S2E, Flow.E2S)


ALL_PAIRS = [(r, s, c) for r in Role for s in BindState for c in REQUEST_TYPES]


@pytest.mark.parametrize("role, state, cls", ALL_PAIRS)
def test_sending_a_request_follows_the_table(role, state, cls):
    session = pair_in(state).esme if role is Role.ESME else pair_in(state).smsc
    session.data_to_send()
    expected = TRANSITIONS.get((state, flows(role)[0], cls.command_id, True))
    if expected is None:
        with pytest.raises(LocalProtocolError) as info:
            session.send_request(cls())
        assert info.value.status == CommandStatus.ESME_RINVBNDSTS
        assert session.state is state and session.data_to_send() == b""
    else:
        seq = session.send_request(cls())
        assert session.state is expected
        assert decode(session.data_to_send()) == cls(sequence_number=seq)


@pytest.mark.parametrize("role, state, cls", [p for p in ALL_PAIRS if p[1] is not S.CLOSED])
def test_receiving_a_request_follows_the_table(role, state, cls):
    session = pair_in(state).esme if role is Role.ESME else pair_in(state).smsc
    session.data_to_send()
    expected = TRANSITIONS.get((state, flows(role)[1], cls.command_id, True))
    events = session.receive_data(encode(cls(), 4242))
    answer = session.data_to_send()
    if expected is None:
        status = (CommandStatus.ESME_RALYBND if cls.command_id in BIND_COMMANDS and state is not S.OPEN
                  else CommandStatus.ESME_RINVBNDSTS)
        assert [type(e) for e in events] == [ProtocolError]
        assert events[0].status == status and events[0].sequence_number == 4242
        refusal = decode(answer)
        assert type(refusal) is (cls.response_type or GenericNack)
        assert refusal.command_status == status and refusal.sequence_number == 4242
        assert session.state is state
    else:
        assert session.state is expected
        if cls.command_id == 0x15:  # enquire_link: answered by the session itself
            assert events == [] and decode(answer).sequence_number == 4242
        else:
            assert events[0] == RequestReceived(cls(sequence_number=4242)) and answer == b""


def test_closed_session_refuses_input():
    pair = pair_in(S.CLOSED)
    with pytest.raises(LocalProtocolError):
        pair.esme.receive_data(encode(Unbind(), 1))
    with pytest.raises(LocalProtocolError):
        pair.esme.send_request(Unbind())


def test_every_state_is_reachable_and_in_the_table():
    for state in BindState:
        assert pair_in(state).esme.state is state
    states_in_table = {key[0] for key in TRANSITIONS} | set(TRANSITIONS.values())
    assert states_in_table == set(BindState) - {S.CLOSED}


# ---- random walks: both sessions driven by arbitrary interleavings of inputs -------

EVENT_TYPES = ("RequestReceived", "ResponseReceived", "GenericNackReceived",
               "UnexpectedResponse", "RequestFailed", "ProtocolError", "BindStateChanged")
ACTIONS = st.one_of(
    st.tuples(st.just("send"), st.sampled_from(["esme", "smsc"]), st.sampled_from(REQUEST_TYPES)),
    st.tuples(st.just("answer"), st.sampled_from(["esme", "smsc"]),
              st.sampled_from(["ok", "error", "nack"])),
    st.tuples(st.just("flush"), st.sampled_from(["esme", "smsc"]), st.none()),
    st.tuples(st.just("expire"), st.sampled_from(["esme", "smsc"]), st.none()),
)
# Bias towards getting bound, so the walks reach the interesting states.
BIND_FIRST = [("send", "esme", BindTransceiver), ("flush", "esme", None),
              ("answer", "smsc", "ok"), ("flush", "smsc", None)]


def _sessions(pair, who):
    return (pair.esme, pair.smsc) if who == "esme" else (pair.smsc, pair.esme)


def _step(pair, action, arg, me, peer):
    before, queued = me.state, me._out[:]
    try:
        if action == "send":
            me.send_request(arg())
        elif action == "answer" and me.unanswered:
            seq, request = min(me.unanswered.items())
            if arg == "nack":
                me.send_response(GenericNack(command_status=8, sequence_number=seq))
            else:
                me.send_response(request.response(command_status=0 if arg == "ok" else 0x58))
    except LocalProtocolError:
        assert me.state is before and me._out == queued  # a refused input changes nothing
    if action == "flush" and peer.state is not S.CLOSED:
        for event in peer.receive_data(me.data_to_send()):
            assert type(event).__name__ in EVENT_TYPES
            if type(event).__name__ == "ResponseReceived":
                assert type(event.response) is event.request.response_type
    if action == "expire" and me.pending:
        me.expire(min(me.pending))


def _settle(pair):
    """Answer everything answerable and flush until quiet."""
    for _ in range(6):
        for me, peer in ((pair.esme, pair.smsc), (pair.smsc, pair.esme)):
            for seq, request in sorted(me.unanswered.items()):
                try:
                    me.send_response(request.response())
                except LocalProtocolError:
                    pass
            if peer.state is not S.CLOSED:
                peer.receive_data(me.data_to_send())


@settings(max_examples=200)
@given(st.booleans(), st.lists(ACTIONS, max_size=25))
def test_random_walks_keep_both_sessions_consistent(bind_first, actions):
    pair = ConnectionPair(window=3)
    expired = False
    for action, who, arg in (BIND_FIRST if bind_first else []) + actions:
        me, peer = _sessions(pair, who)
        expired |= action == "expire" and bool(me.pending)
        _step(pair, action, arg, me, peer)
        for session in (pair.esme, pair.smsc):
            windowed = [r for r in session.pending.values()
                        if r.command_id not in (1, 2, 9, 6, 0x15)]
            assert session.outstanding == len(windowed) <= session.window
    _settle(pair)
    quiet = not (pair.esme.unanswered or pair.smsc.unanswered or pair.esme.pending
                 or pair.smsc.pending)
    if quiet and not expired:
        assert pair.esme.state is pair.smsc.state
