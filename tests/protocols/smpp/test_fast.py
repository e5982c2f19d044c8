"""fast_constructor builds the same frozen values as the dataclass constructors."""
from __future__ import annotations

import dataclasses

import pytest

from protocols.smpp import PDU_TYPES, DeliverSm, fast_constructor
from protocols.smpp.events import (ProtocolError, RequestReceived, ResponseReceived,
                                   request_received, response_received)
from protocols.smpp.pdu import SubmitSm, SubmitSmResp


def sample(cls: type) -> dict:
    values = {}
    for i, f in enumerate(dataclasses.fields(cls)):
        values[f.name] = {"str": f"v{i}", "int": i + 1, "bytes": b"x%d" % i}.get(
            f.type, ((0x1403, b"\x01"),) if f.name == "tlvs" else None)
    return values


@pytest.mark.parametrize("cls", PDU_TYPES, ids=lambda c: c.__name__)
def test_every_pdu_type_equals_its_constructor(cls: type):
    make = fast_constructor(cls)
    values = sample(cls)
    built = make(**values)
    assert type(built) is cls and built == cls(**values)
    assert make() == cls()
    with pytest.raises(TypeError):
        make(**values, nonsense=1)
    with pytest.raises(TypeError):  # header words stay keyword-only, as in cls(...)
        make(*[values[f.name] for f in dataclasses.fields(cls)])


def test_events_take_positional_arguments_and_defaults():
    submit, resp = SubmitSm(destination_addr="1"), SubmitSmResp(message_id="a")
    assert request_received(submit) == RequestReceived(submit)
    assert response_received(submit, resp) == ResponseReceived(submit, resp)
    make = fast_constructor(ProtocolError)
    assert make(0x02, "bad") == ProtocolError(0x02, "bad")
    assert make(0x02, "bad", 7, fatal=True) == ProtocolError(0x02, "bad", 7, True)
    with pytest.raises(TypeError):
        make(0x02)  # message is required


def test_response_is_built_fast_and_equal():
    deliver = DeliverSm(sequence_number=41)
    assert deliver.response(command_status=0x64) == DeliverSm.response_type(
        command_status=0x64, sequence_number=41)
    with pytest.raises(TypeError, match="has no response"):
        SubmitSmResp().response()


def test_refuses_what_it_cannot_copy():
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithPostInit:
        n: int = 0

        def __post_init__(self) -> None:
            pass
    for cls in (WithFactory, WithPostInit):
        with pytest.raises(TypeError):
            fast_constructor(cls)
