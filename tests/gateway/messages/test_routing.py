"""Longest-prefix routing by channel, with the fallback chain."""
from __future__ import annotations

from gateway.config import model as config
from gateway.messages.routing import Router


def carriers(text: str):
    return config.loads(text).carriers


SMPP = """
[[carriers]]
name = "{name}"
host = "h"
port = 1
system_id = "s"
routes = {routes}
{extra}
"""


def smpp(name, routes, extra=""):
    return SMPP.format(name=name, routes=routes, extra=extra)


def test_longest_prefix_wins_whatever_the_order():
    router = Router(carriers(smpp("us", '["+1"]') + smpp("ny", '["+1212", "+1646"]') + smpp("all", '["+"]')))
    assert router.primary("sms", "+12125551234") == "ny"
    assert router.primary("sms", "+16465551234") == "ny"
    assert router.primary("sms", "+13105551234") == "us"
    assert router.primary("sms", "+447700900123") == "all"


def test_a_short_code_takes_the_catch_all_route():
    router = Router(carriers(smpp("us", '["+1"]') + smpp("all", '["+"]')))
    assert router.primary("sms", "12345") == "all"
    assert Router(carriers(smpp("us", '["+1"]'))).primary("sms", "12345") is None


def test_tie_goes_to_the_first_listed_carrier():
    router = Router(carriers(smpp("one", '["+44"]') + smpp("two", '["+44"]')))
    assert router.primary("sms", "+447700900123") == "one"


def test_no_match_means_no_candidates():
    router = Router(carriers(smpp("us", '["+1"]')))
    assert router.primary("sms", "+447700900123") is None
    assert router.candidates("sms", "+447700900123") == ()


def test_channel_picks_protocol():
    text = smpp("sms-all", '["+"]') + '[[carriers]]\nname = "mms-us"\nprotocol = "mm7"\nurl = "http://m"\nroutes = ["+1"]\n'
    router = Router(carriers(text))
    assert router.primary("sms", "+15551234567") == "sms-all"
    assert router.primary("mms", "+15551234567") == "mms-us"
    assert router.primary("mms", "+447700900123") is None
    assert router.primary("fax", "+15551234567") is None


def test_fallback_chain_without_cycles():
    text = smpp("a", '["+1"]', 'fallback = "b"') + smpp("b", "[]", 'fallback = "c"') + smpp("c", "[]", 'fallback = "a"')
    router = Router(carriers(text))
    assert router.candidates("sms", "+15551234567") == ("a", "b", "c")
    assert router.chain("b") == ("b", "c", "a") and router.chain("zzz") == ()
