"""Carrier price tables (``[carriers.prices]``), the rendered price, and
MaxPrice at dispatch (30010): pure rules, the config checks, and the
dispatcher on a Clock with the in-memory store and scripted carriers."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.config import model as config
from gateway.config.read import ConfigError
from gateway.messages.pricing import Price, PriceBook, exceeds, message_price, unit_price
from gateway.store import schema as s

from tests.gateway.dispatch.dispatcher_rig import CONF, Rig

PRICED = CONF.replace('registered_delivery = 1\n', '''registered_delivery = 1
[carriers.prices]
unit = "USD"
prefixes = { "+1" = "0.0075", "+1555" = "0.0100", "+" = "0.05" }
''', 1).replace('registered_delivery = 0\n', '''registered_delivery = 0
routes = ["+44", "+1"]
[carriers.prices]
prefixes = { "+1" = "0.0050" }
''').replace('routes = ["+44"]\n', "")


def carriers(text=PRICED):
    return config.loads(text).carriers


def test_longest_prefix_wins_and_plus_matches_short_codes():
    table = carriers()[0].prices
    assert table.unit == "USD"
    assert unit_price(table, "+15550001111") == Decimal("0.0100")
    assert unit_price(table, "+12125550000") == Decimal("0.0075")
    assert unit_price(table, "+447700900000") == Decimal("0.05")
    assert unit_price(table, "12345") == Decimal("0.05")
    assert unit_price(carriers()[1].prices, "+447700900000") is None


def test_sms_is_priced_per_segment_and_mms_per_message():
    sms = carriers()[0]
    assert message_price(sms, "+15550001111", 3) == Price(Decimal("0.0300"), "USD")
    mms = config.CarrierConfig(name="m", protocol="mm7", prices=sms.prices)
    assert message_price(mms, "+15550001111", 3) == Price(Decimal("0.0100"), "USD")
    assert message_price(config.CarrierConfig(name="n", protocol="smpp"), "+1555", 1) is None
    book = PriceBook(carriers())
    assert book.price("b", "+15550001111", 2).amount == Decimal("0.0100")
    assert book.price("nobody", "+15550001111", 2) is None


@pytest.mark.parametrize("amount, text", [
    ("0.0075", "-0.00750"), ("0.05", "-0.05000"), ("1", "-1.00000"), ("0", "0.00000"),
    ("0.00000125", "-0.00000125"), ("12.5", "-12.50000"),
])
def test_price_text_is_negative_with_at_least_five_decimals(amount, text):
    assert Price(Decimal(amount), "USD").text == text


def test_exceeds_only_a_known_price_above_max_price():
    price = Price(Decimal("0.0200"), "USD")
    assert exceeds(price, "0.0199") and not exceeds(price, "0.02") and not exceeds(price, None)
    assert not exceeds(None, "0")


@pytest.mark.parametrize("table, problem", [
    ('prefixes = { "1" = "0.1" }', '"+digits" prefix'),
    ('prefixes = { "+1" = 0.1 }', "not a TOML float"),
    ('prefixes = { "+1" = "-0.1" }', "must be a price"),
    ('prefixes = { "+1" = "0.123456789" }', "at most 8"),
    ('unit = "dollars"\nprefixes = {}', "three-letter currency"),
    ('unit = "USD"', "prefixes: is required"),
    ('prefixes = {}\nper = "segment"', "unknown key"),
])
def test_bad_price_tables_are_refused_by_key(table, problem):
    text = CONF.replace('registered_delivery = 1\n', f'registered_delivery = 1\n[carriers.prices]\n{table}\n', 1)
    with pytest.raises(ConfigError) as info:
        config.loads(text, source="g.toml")
    assert problem in str(info.value) and "carriers[0] 'a'.prices" in str(info.value)


def test_integer_prices_are_exact():
    text = CONF.replace('registered_delivery = 1\n', 'registered_delivery = 1\n[carriers.prices]\n'
                        'prefixes = { "+1" = 2 }\n', 1)
    assert config.loads(text).carriers[0].prices.prefixes == (("+1", Decimal(2)),)


# -- at dispatch -------------------------------------------------------------

def priced_rig(carriers_, conf=PRICED):
    """The dispatcher on the in-memory store and its Clock, with prices."""
    rig = Rig(carriers_, conf=conf)
    rig.dispatcher.prices = PriceBook(config.loads(conf).carriers)
    return rig


def callback_statuses(rig, sid):
    def q(conn):
        rows = conn.execute(select(s.callback_outbox.c.params)
                            .where(s.callback_outbox.c.message_sid == sid)
                            .order_by(s.callback_outbox.c.id)).scalars().all()
        return [dict(map(tuple, params))["MessageStatus"] for params in rows]
    return rig.done(rig.store.read(q))


def test_a_sent_message_is_priced_with_the_segments_sent():
    rig = priced_rig({"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    rig.start()
    sid = rig.add(body="x" * 200, num_segments=2, max_price="0.02")
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["carrier"], row["price"], row["price_unit"]) == \
        ("sent", "a", "-0.02000", "USD")
    rig.dispatcher.stopService()
    assert rig.clock.getDelayedCalls() == []


def test_too_dear_on_the_primary_goes_to_a_cheaper_fallback():
    a, b = ScriptedCarrier("a"), ScriptedCarrier("b")
    rig = priced_rig({"a": a, "b": b})
    rig.start()
    sid = rig.add(max_price="0.0075")
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["carrier"], row["price"]) == ("sent", "b", "-0.00500")
    assert a.pdus == [] and len(b.pdus) == 1
    rig.dispatcher.stopService()


def test_too_dear_everywhere_fails_30010_with_its_callback_and_nothing_sent():
    a, b = ScriptedCarrier("a"), ScriptedCarrier("b")
    rig = priced_rig({"a": a, "b": b})
    rig.start()
    sid = rig.add(max_price="0.0049", status_callback="http://app.example/st",
                        status_callback_method="POST")
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["error_code"], row["error_message"], row["carrier"], row["price"]) == \
        ("failed", 30010, "Message price exceeds max price", "b", None)
    assert a.pdus == [] and b.pdus == []
    assert callback_statuses(rig, sid) == ["sending", "failed"]
    assert rig.dispatcher.in_flight == 0
    rig.dispatcher.stopService()
    assert rig.clock.getDelayedCalls() == []


def test_too_dear_on_the_one_carrier_up_fails_rather_than_waiting():
    a, b = ScriptedCarrier("a"), ScriptedCarrier("b", up=False)
    rig = priced_rig({"a": a, "b": b})
    rig.start()
    sid = rig.add(max_price="0.0099")
    rig.settle()
    assert rig.row(sid)["error_code"] == 30010
    rig.dispatcher.stopService()


def test_without_a_price_max_price_does_not_stop_a_message():
    rig = priced_rig({"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")}, conf=CONF)
    rig.start()
    sid = rig.add(max_price="0")
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["price"]) == ("sent", None)
    rig.dispatcher.stopService()
