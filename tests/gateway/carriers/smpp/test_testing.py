"""The shipped fakes: ``ScriptedCarrier`` is a ``Carrier`` like ``SmppCarrier``,
answers as scripted, and ``MemNet`` hands a carrier endpoints as the daemon's
factory does."""
from __future__ import annotations

import inspect

import pytest
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.task import Clock

from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.carriers.smpp.endpoints import endpoint_factory
from gateway.carriers.smpp.errors import NotSent, SubmitFailed
from gateway.carriers.smpp.interface import Carrier
from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.simulators.smsc.testing import MemNet
from protocols.smpp.pdu import SubmitSm

from tests.conformance import mismatches, parameters


def test_the_real_carrier_and_the_scripted_one_are_carriers_alike():
    net = MemNet()
    real = SmppCarrier("a", net.settings(), net.reactor, net.endpoint_factory)
    assert mismatches(real, Carrier) == []
    assert mismatches(ScriptedCarrier("a"), Carrier, like=SmppCarrier) == []
    assert real.is_up is False  # nothing bound before it starts


def test_a_carrier_without_submit_is_not_one():
    class Half:
        name, is_up = "a", True

    assert not isinstance(Half(), Carrier)


def test_the_scripted_carrier_answers_in_script_order_then_accepts():
    refused = SubmitFailed(30001, 0x14, "Queue overflow")
    carrier = ScriptedCarrier("a", script=["ok", refused, "notsent", "hold"])
    results = []
    for _ in range(5):
        carrier.submit(SubmitSm(short_message=b"x")).addBoth(results.append)
    assert results[0].message_id == "a-1"
    assert results[1].value is refused
    assert isinstance(results[2].value, NotSent)
    assert results[3].message_id == "a-2"  # the held one has not answered yet
    assert len(carrier.pdus) == 5 and len(carrier.held) == 1
    carrier.held[0].callback("answered")
    assert results[4] == "answered"


def test_an_unknown_script_action_is_refused_at_once():
    with pytest.raises(ValueError, match="unknown script action 'okay'"):
        ScriptedCarrier("a", script=["okay"])


def test_memnet_endpoints_are_what_a_carrier_connects_with():
    net = MemNet()
    endpoint = net.endpoint_factory(net.settings())
    assert IStreamClientEndpoint.providedBy(endpoint)
    real = endpoint_factory(Clock())
    assert parameters(net.endpoint_factory) == parameters(real)
    assert list(inspect.signature(real).parameters) == ["settings"]
