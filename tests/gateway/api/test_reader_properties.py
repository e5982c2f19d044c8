"""Properties of the request readers, intake and list filters (issue 10):
any input either parses or is a 4xx ApiError, never anything else, and
what is accepted can be stored and sent."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings, strategies as st

from gateway.messages.errors import ApiError
from gateway.api.intake import new_message
from gateway.api.listing import FILTERS, PAGING, parse_list
from gateway.api.requests import body_params
from gateway.store import migrate
from gateway.store.engine import make_engine
from gateway.messages.queries import list_messages

FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"
# Text a client can send: any code point but the surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
CTYPES = st.sampled_from([FORM, JSON, None, b"text/plain", b"application/json; charset=latin-1",
                          b"multipart/form-data; boundary=x", FORM + b"; charset=utf-8"])


def refused(error: ApiError) -> None:
    assert 400 <= error.status < 500 and error.message and error.code


@given(st.lists(st.tuples(TEXT.filter(bool), TEXT), max_size=12), st.booleans())
def test_form_round_trip(pairs, percent_encoded):
    if percent_encoded:
        body = urlencode(pairs).encode("ascii")
    else:  # raw UTF-8, as curl -d sends it; only the delimiters escaped
        body = "&".join(quote(k, safe="") + "=" + v.replace("%", "%25").replace("&", "%26")
                        .replace("+", "%2B").replace("=", "%3D") for k, v in pairs).encode()
    expect: dict[str, list] = {}
    for name, value in pairs:
        expect.setdefault(name, []).append(value)
    assert body_params(body, FORM) == expect


@given(st.binary(max_size=200), CTYPES, st.one_of(st.none(), st.binary(max_size=40)))
def test_any_bytes_parse_or_are_refused(body, ctype, query):
    try:
        params = body_params(body, ctype, query)
    except ApiError as error:
        refused(error)
    else:
        assert all(isinstance(k, str) and isinstance(v, list) for k, v in params.items())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12)


@given(st.dictionaries(TEXT, JSON_VALUES, max_size=6))
def test_json_objects_are_read(doc):
    params = body_params(json.dumps(doc).encode(), JSON)
    assert set(params) == {k for k, v in doc.items() if v is not None}


@given(st.text(alphabet='[]{}"1,: a\\', max_size=300))
def test_json_text_parses_or_is_refused(text):
    try:
        body_params(text.encode(), JSON)
    except ApiError as error:
        refused(error)


FIELDS = ["from", "to", "body", "From", "To", "Body", "media_list", "MediaUrl",
          "status_callback", "StatusCallbackMethod", "ValidityPeriod", "MaxPrice"]
ANY_CHAR = st.characters(blacklist_categories=())  # surrogates too: JSON can carry them
VALUES = st.one_of(
    st.text(ANY_CHAR, max_size=20),
    st.builds("{}{}".format, st.sampled_from(["sms:+1415555010", "http://example.com/"]),
              st.text(ANY_CHAR, min_size=1, max_size=3)),
    st.sampled_from(["sms:+14155550100", "mms:+14155550101", "+14155550102", "19876543212",
                     "12345", "http://example.com/a.jpg", "0.05", "600", "POST",
                     '[{"url": "http://example.com/b.png", "content_type": "image/png"}]']),
    st.integers(), st.lists(st.text(max_size=5), max_size=2))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


VALID = {"messages": {"from": ["mms:+14155550100"], "to": ["mms:+14155550101"], "body": ["hi"]},
         "sms": {"From": ["+14155550100"], "To": ["+14155550101"], "Body": ["hi"]}}


@settings(max_examples=300, derandomize=True)
@given(st.fixed_dictionaries({}, optional={f: st.lists(VALUES, min_size=1, max_size=2)
                                           for f in FIELDS}),
       st.sampled_from(["messages", "sms"]))
def test_intake_accepts_only_what_can_finish(changes, api):
    params = {**VALID[api], **changes}
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    try:
        row = new_message(params, account_sid="AC1", api=api, now=now)
    except ApiError as error:
        refused(error)
        return
    for text in _strings([row[k] for k in ("from_", "to", "body", "media_list",
                                           "status_callback", "status_callback_method")]):
        text.encode("utf-8")  # no lone surrogate: it can be stored and sent
        assert not any(ord(c) < 32 and c not in "\t\r\n" for c in text)


NUMBERS = st.one_of(
    st.sampled_from(["\u00b2", "\u0663", "\uff11\uff10", "1_0", " 10", "+1", "-1", "0", "1e3",
                     "9223372036854775808", "2147483648", "30008", ""]),
    st.integers(-5, 10**20).map(str), TEXT)
MOMENTS = st.one_of(
    st.sampled_from(["9999-12-31", "0001-01-01", "9999-12-31T23:59:59-05:00", "9999-12-31T23",
                     "0001-01-01T00:00:00+01:00", "2026-11-27T16:48:52,5Z", "2026-11-27 16:48 02:00",
                     "2026-13-01", ""]),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=14)),
                                            timezone(timedelta(hours=-12)), None])
                 ).map(lambda d: d.isoformat()),
    TEXT)
WORDS = st.one_of(
    st.sampled_from(["PAjunk", "PASM" + "0" * 32, "PB", "DateCreated", "To:desc", "status:ASC",
                     "queued", "sms:+1%", "mms:", "client:x", "%", "_", "\\", " 1415", "Gr\u00fc\u00dfe"]),
    TEXT)
KINDS = {"ErrorCode": NUMBERS, "Page": NUMBERS, "PageSize": NUMBERS, "StartTime": MOMENTS,
         "EndTime": MOMENTS, "DateSent": MOMENTS, "DateSent<": MOMENTS, "DateSent>": MOMENTS}
LIST_PARAMS = st.builds(
    lambda known, other: {**other, **known},
    st.fixed_dictionaries({}, optional={name: KINDS.get(name, WORDS)
                                        for name in FILTERS + PAGING}),
    st.dictionaries(TEXT, WORDS, max_size=1))


@settings(max_examples=300, derandomize=True)
@given(LIST_PARAMS, st.sampled_from(["messages", "sms"]))
def test_list_parameters_parse_or_are_refused(params, api):
    try:
        parse_list(params, api)
    except ApiError as error:
        refused(error)


def test_accepted_list_queries_run_on_the_store(tmp_path):
    url = f"sqlite:///{tmp_path}/props.db"
    migrate.upgrade(url)
    engine = make_engine(url)

    @settings(max_examples=300, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(LIST_PARAMS, st.sampled_from(["messages", "sms"]))
    def check(params, api):
        try:
            q = parse_list(params, api)
        except ApiError:
            return
        with engine.connect() as conn:
            list_messages(conn, "AC1", q)

    try:
        check()
    finally:
        engine.dispose()
