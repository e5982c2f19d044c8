"""Digits without '+' (issue 10 item 13): one rule for From and To, by the
configured numbers and the carriers' routes, in every API surface."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from gateway.config import model as config
from gateway.messages.addresses import parse_pair
from gateway.messages.errors import ApiError
from gateway.messages.numbering import NumberPlan, resolve

from .conftest import ACCOUNT
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

CONFIG = """
[api]
{api}
[[accounts]]
sid = "{account}"
auth_token = "t"
[[numbers]]
number = "+19876543212"
account = "{account}"
[[numbers]]
number = "55555"
account = "{account}"
[[carriers]]
name = "us"
host = "127.0.0.1"
port = 9
system_id = "s"
routes = {routes}
[[carriers]]
name = "mmsc"
protocol = "mm7"
url = "http://127.0.0.1:9/mm7"
routes = ["+1"]
"""


def plan(routes='["+1", "+44"]', api="", account=ACCOUNT) -> NumberPlan:
    return NumberPlan.from_config(config.loads(CONFIG.format(routes=routes, api=api,
                                                             account=account)))


US_UK = plan()
CATCH_ALL = plan('["+"]')
NATIONAL = plan('["+", "+44"]', api='default_country_code = "44"')
NATIONAL_NO_SHORT = plan('["+44"]', api='default_country_code = "44"')

GOOD = [
    # A configured number, whether or not its form routes.
    (US_UK, "19876543212", "From", "sms", "+19876543212"),
    (US_UK, "55555", "From", "sms", "55555"),
    (US_UK, "55555", "To", "sms", "55555"),
    # The form the routes take.
    (US_UK, "14155550101", "To", "sms", "+14155550101"),
    (US_UK, "447700900123", "From", "sms", "+447700900123"),
    (CATCH_ALL, "72345", "To", "sms", "72345"),
    (CATCH_ALL, "33612345678", "To", "sms", "+33612345678"),
    (NATIONAL, "07700900123", "To", "sms", "+447700900123"),
    (NATIONAL_NO_SHORT, "01234567", "To", "sms", "+441234567"),  # national, not a short code
    (US_UK, "14155550101", "To", "mms", "+14155550101"),  # the MM7 carrier's "+1"
    # Not digits: unchanged.
    (US_UK, "+33612345678", "To", "sms", "+33612345678"),
    (US_UK, "Shop", "From", "sms", "Shop"),
]

BAD = [
    (US_UK, "72345", "To", "sms", "no carrier's routes take"),  # no catch-all
    (US_UK, "33612345678", "To", "sms", "no carrier's routes take"),
    (US_UK, "33612345678", "From", "sms", "no carrier's routes take"),
    (US_UK, "447700900123", "To", "mms", "no carrier's routes take for mms"),
    (US_UK, "07700900123", "To", "sms", "has no such form"),  # no country configured
    (NATIONAL, "01234567", "To", "sms", "ambiguous"),  # short code or +441234567
    (CATCH_ALL, "12", "To", "sms", "has no such form"),
    (CATCH_ALL, "1234567890123456", "From", "sms", "has no such form"),
    (NATIONAL, "00447700900123", "To", "sms", "has no such form"),
]


@pytest.mark.parametrize("numbers,value,field,channel,expected", GOOD)
def test_digits_resolve(numbers, value, field, channel, expected):
    assert resolve(value, field, channel, numbers) == expected
    assert resolve(expected, field, channel, numbers) == expected


@pytest.mark.parametrize("numbers,value,field,channel,problem", BAD)
def test_digits_refused_naming_field_and_rule(numbers, value, field, channel, problem):
    with pytest.raises(ApiError) as caught:
        resolve(value, field, channel, numbers)
    error = caught.value
    assert (error.status, error.code) == (400, 21211 if field == "To" else 21212)
    assert error.message.startswith(f"{field}: {value!r}") and problem in error.message
    assert "rule: digits without '+'" in error.message


def test_parse_pair_uses_the_plan_for_both_fields():
    assert parse_pair("19876543212", "447700900123", uris=False, plan=US_UK) == (
        "sms", "+19876543212", "+447700900123")
    with pytest.raises(ApiError) as caught:
        parse_pair("sms:19876543212", "sms:72345", uris=True, plan=US_UK)
    assert caught.value.message.startswith("to: '72345'")


def test_default_country_code_is_checked():
    for bad in ('"+44"', '"0"', '"1234"', "44"):
        with pytest.raises(config.ConfigError, match="api.default_country_code"):
            plan(api=f"default_country_code = {bad}")


PLANS = st.sampled_from([US_UK, CATCH_ALL, NATIONAL, NATIONAL_NO_SHORT, NumberPlan()])
VALUES = st.one_of(st.text("0123456789", max_size=18), st.text(max_size=18))


@given(VALUES, PLANS, st.sampled_from(["To", "From"]), st.sampled_from(["sms", "mms"]))
def test_resolver_is_total_and_idempotent(value, numbers, field, channel):
    try:
        out = resolve(value, field, channel, numbers)
    except ApiError as error:
        assert error.status == 400 and error.message.startswith(field)
        return
    assert resolve(out, field, channel, numbers) == out
    assert out == value or out.startswith("+") and out[1:].isdigit() or out in numbers.numbers


@in_memory
async def test_every_api_surface_applies_the_configured_rule(server):
    server.api.number_plan = US_UK
    for path, scheme, to in (("/SMS/Messages.json", "", "To"), ("/Messages.json", "sms:", "to")):
        code, body = await server.json("POST", path, data={
            "From": scheme + "19876543212", "To": scheme + "447700900123", "Body": "hi"})
        assert code == 201, body
        assert (body["from"], body["to"]) == (scheme + "+19876543212", scheme + "+447700900123")
        code, body = await server.json("POST", path, data={
            "From": scheme + "19876543212", "To": scheme + "72345", "Body": "hi"})
        assert (code, body["code"]) == (400, 21211) and body["message"].startswith(f"{to}: '72345'")
    compat = server.base + f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    response = await server.client.post(compat, data={"From": "19876543212", "To": "72345",
                                                      "Body": "hi"},
                                        auth=(ACCOUNT, "token-a"))
    assert response.code == 400 and "no carrier's routes take" in (await response.text())
    server.api.number_plan = CATCH_ALL
    code, body = await server.json("POST", "/SMS/Messages.json", data={
        "From": "19876543212", "To": "72345", "Body": "hi"})
    assert code == 201 and body["to"] == "72345"
