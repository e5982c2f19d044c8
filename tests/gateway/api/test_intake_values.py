"""Intake checks and normalises every stored value (issue 10, items 6, 12)."""
from datetime import datetime, timezone

import pytest

from gateway.messages.errors import ApiError
from gateway.api.intake import new_message

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
BASE = {"from": ["mms:+14155550100"], "to": ["mms:+14155550101"], "body": ["x"]}


def create(**extra):
    params = dict(BASE)
    params.update({k: [v] for k, v in extra.items()})
    return new_message(params, account_sid="AC1", api="messages", now=NOW)


def refused(**extra) -> ApiError:
    with pytest.raises(ApiError) as caught:
        create(**extra)
    assert caught.value.status == 400
    return caught.value


@pytest.mark.parametrize("field,value", [
    ("status_callback", "http://example.com/\ud800"),
    ("MediaUrl", "http://example.com/\udfff.jpg"),
    ("body", "hi \ud83d"),
    ("to", "mms:+1415555\udc000101"),
    ("media_list", [{"url": "http://example.com/\ud800.jpg", "content_type": "image/jpeg"}]),
    ("media_list", '[{"url": "http://example.com/\\ud800.jpg"}]'),  # a form's JSON string
    ("status_callback_method", "PO\ud800ST"),
])
def test_lone_surrogates_are_refused_in_every_field(field, value):
    error = refused(**{field: value})
    assert error.code == 21100 and "lone surrogate" in error.message
    assert error.message.startswith(field)


@pytest.mark.parametrize("field,value", [
    ("from", "mms:+1415555\x000100"),
    ("status_callback", "http://example.com/a\r\nX-Injected: yes"),
    ("media_list", [{"url": "http://example.com/a.jpg", "content_type": "image/jpeg\r\nX: y"}]),
    ("MediaUrl", "http://example.com/a\x85.jpg"),
    ("body", "bell \x07"),
    ("body", "nul \x00"),
])
def test_control_characters_are_refused(field, value):
    error = refused(**{field: value})
    assert error.code == 21100 and "control character" in error.message


def test_a_field_name_with_a_surrogate_is_refused():
    params = dict(BASE, **{"x\ud800": ["1"]})
    with pytest.raises(ApiError):
        new_message(params, account_sid="AC1", api="messages", now=NOW)


def test_body_keeps_tab_and_newlines_and_is_nfc_normalised():
    row = create(body="Gru\u0308\u00dfe\r\n\tbye")
    assert row["body"] == "Gr\u00fc\u00dfe\r\n\tbye"


def test_urls_are_not_normalised():
    # stored as the fetcher will request it (percent-encoded), but not NFC-normalised:
    # the decomposed u + U+0308 stays two code points
    url = "http://example.com/Gru\u0308sse.jpg"
    row = create(MediaUrl=url)
    assert row["media_list"] == [{"url": "http://example.com/Gru%CC%88sse.jpg",
                                  "content_type": None}]


@pytest.mark.parametrize("raw,stored", [("0.05", "0.05"), ("1", "1"), ("1.", "1"),
                                        ("12.3456", "12.3456"), ("0", "0"), (5, "5")])
def test_max_price_good(raw, stored):
    assert create(MaxPrice=raw)["max_price"] == stored


@pytest.mark.parametrize("raw", ["1e999999999", "-0", "0.12345", "\uff11", " 1", "1_0",
                                 ".5", "Infinity", "NaN", "1.2.3", "", "-1"])
def test_max_price_exact(raw):
    assert "MaxPrice" in refused(MaxPrice=raw).message


@pytest.mark.parametrize("raw", ["1_0", "\uff16\uff10", " 60", "+60", "60.0", "-60", "٦٠"])
def test_validity_period_is_ascii_digits_only(raw):
    assert refused(ValidityPeriod=raw).code == 21624


def test_validity_period_json_integer():
    assert create(ValidityPeriod=600)["validity_period"] == 600


def test_body_too_long_speaks_to_the_user():
    params = dict(BASE, **{"from": ["sms:+14155550100"], "to": ["sms:+14155550101"],
                           "body": ["x" * 1601]})
    with pytest.raises(ApiError) as caught:
        new_message(params, account_sid="AC1", api="messages", now=NOW)
    assert caught.value.code == 21617
    assert caught.value.message == "body is 1601 characters; an SMS is limited to 1600"
