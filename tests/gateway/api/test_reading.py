"""Reading request bodies over HTTP (in memory): UTF-8 forms, content types, JSON
limits and exact single values (issue 10, items 1, 4, 12, 15, 19)."""
import json

import pytest

from gateway.messages.store import get_message_row

from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

SMS = {"From": "+14155550100", "To": "+14155550101"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


async def post(server, path, body: bytes, headers):
    return await server.json("POST", path, data=body, headers=dict(headers))


@pytest.mark.parametrize("body", [
    "From=%2B14155550100&To=%2B14155550101&Body=Gr%C3%BC%C3%9Fe".encode(),  # percent-encoded
    "From=%2B14155550100&To=%2B14155550101&Body=Grüße".encode(),  # raw UTF-8 bytes
])
@pytest.mark.parametrize("path", ["/SMS/Messages", "/Messages"])
@in_memory
async def test_form_utf8_in_values(server, path, body):
    if path == "/Messages":
        body = body.replace(b"From=%2B", b"from=sms:%2B").replace(b"To=%2B", b"to=sms:%2B")
        body = body.replace(b"Body=", b"body=")
    code, resource = await post(server, path, body, FORM)
    assert code == 201, resource
    assert resource["body"] == "Grüße"
    row = await server.store.read(get_message_row, resource["sid"])
    assert row["body"] == "Grüße"


@in_memory
async def test_form_utf8_in_field_names_is_read_not_a_500(server):
    body = "From=%2B14155550100&To=%2B14155550101&Body=x&Gr%C3%BC%C3%9Fe=1&Ä=2".encode()
    code, resource = await post(server, "/SMS/Messages", body, FORM)
    assert code == 201, resource  # unknown fields of a create are ignored, as before


@pytest.mark.parametrize("body,where", [
    (b"From=%2B14155550100&To=%2B14155550101&Body=Gr%FC%DFe", "percent-escape"),
    (b"From=%2B14155550100&To=%2B14155550101&Body=Gr\xfc\xdfe", "form body"),
    (b"From=%2B14155550100&To=%2B14155550101&Body=x&Gr%FC=1", "percent-escape"),
    (b"From=%2B14155550100&To=%2B14155550101&Body=%ED%A0%80", "percent-escape"),  # a surrogate
])
@in_memory
async def test_form_not_utf8_is_400(server, body, where):
    code, error = await post(server, "/SMS/Messages", body, FORM)
    assert (code, error["code"], error["status"]) == (400, 21100, 400), error
    assert "UTF-8" in error["message"] and where in error["message"]


@pytest.mark.parametrize("ctype,body", [
    ("text/plain", b"hello"),
    ("application/xml", b"<Message><To>+14155550101</To></Message>"),
    ("application/x-www-form-urlencoded; charset=iso-8859-1", b"Body=Gr%FC%DFe"),
    ("application/json; charset=utf-16", b'{"body": "x"}'),
    ("multipart/form-data; boundary=x", b"--x--"),
])
@in_memory
async def test_other_content_types_are_415(server, ctype, body):
    code, error = await post(server, "/SMS/Messages", body, {"Content-Type": ctype})
    assert (code, error["code"], error["status"]) == (415, 20415, 415), error
    assert "application/json" in error["message"]


@in_memory
async def test_charset_utf8_is_accepted(server):
    body = json.dumps({"from": "sms:+14155550100", "to": "sms:+14155550101",
                       "body": "Grüße"}).encode()
    code, resource = await post(server, "/Messages", body,
                                {"Content-Type": "application/json; charset=UTF-8"})
    assert code == 201 and resource["body"] == "Grüße"


@in_memory
async def test_json_sent_as_form_gets_a_hint(server):
    body = json.dumps({"From": "+14155550100", "To": "+14155550101", "Body": "x"}).encode()
    code, error = await post(server, "/SMS/Messages", body, FORM)
    assert (code, error["code"]) == (400, 21100)
    assert "Content-Type: application/json" in error["message"]


@pytest.mark.parametrize("body", [b"[" * 12000, b"[" * 7000 + b"]" * 7000,
                                  b'{"body": ' + b"[" * 100 + b"]" * 100 + b"}",
                                  b'{"a": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2001],
                         ids=["open", "closed", "a-field", "objects"])
@in_memory
async def test_deep_json_is_400(server, body):
    code, error = await post(server, "/Messages", body, JSON)
    assert (code, error["code"]) == (400, 21100), error
    assert "nested deeper" in error["message"]


@in_memory
async def test_huge_json_integer_is_400_without_internals(server):
    body = b'{"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x", ' \
           b'"ValidityPeriod": ' + b"9" * 5000 + b"}"
    code, error = await post(server, "/Messages", body, JSON)
    assert (code, error["code"]) == (400, 21100), error
    message = error["message"]
    assert "digits" in message
    for internal in ("sys.", "set_int_max_str_digits", "Python", "Traceback", "Exceeds"):
        assert internal not in message


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
@in_memory
async def test_json_constants_are_not_json(server, constant):
    body = b'{"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x", ' \
           b'"MaxPrice": ' + constant + b"}"
    code, error = await post(server, "/Messages", body, JSON)
    assert (code, error["code"]) == (400, 21100), error


@pytest.mark.parametrize("field,value", [
    ("to", ["sms:+14155550101", "sms:+14155550102"]),
    ("to", ["sms:+14155550101"]),
    ("status_callback", ["http://example.com/a", "http://example.com/b"]),
    ("body", {"text": "x"}),
    ("from", True),
])
@in_memory
async def test_json_array_or_object_where_one_value_is_expected_is_400(server, field, value):
    doc = {"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x", field: value}
    code, error = await server.json("POST", "/Messages", json=doc)
    assert (code, error["code"]) == (400, 21100), error
    assert error["message"].startswith(field)


@in_memory
async def test_form_field_given_twice_is_400(server):
    body = b"From=%2B14155550100&To=%2B14155550101&To=%2B14155550102&Body=x"
    code, error = await post(server, "/SMS/Messages", body, FORM)
    assert (code, error["code"]) == (400, 21100)
    assert "To: given 2 times" in error["message"]


@in_memory
async def test_repeated_media_url_is_still_a_list(server):
    body = (b"From=%2B14155550100&To=%2B14155550101&Body=x"
            b"&MediaUrl=http%3A%2F%2Fe.com%2Fa.jpg&MediaUrl=http%3A%2F%2Fe.com%2Fb.jpg")
    code, resource = await post(server, "/SMS/Messages", body, FORM)
    assert code == 201 and resource["num_media"] == "2"


@pytest.mark.parametrize("extra", [
    b'"status_callback": "http://example.com/\\ud800"',
    b'"media_list": [{"url": "http://example.com/\\ud800.jpg", "content_type": "image/jpeg"}]',
    b'"MediaUrl": ["http://example.com/a.jpg", "http://example.com/\\udfff"]',
    b'"body": "hi \\ud83d"',
], ids=["status_callback", "media_list", "MediaUrl", "body"])
@in_memory
async def test_lone_surrogates_over_http_are_400_and_nothing_is_stored(server, extra):
    body = b'{"from": "mms:+14155550100", "to": "mms:+14155550101", "body": "x", ' + extra + b"}"
    body = body.replace(b'"body": "x", "body"', b'"body"')
    code, error = await post(server, "/Messages", body, JSON)
    assert (code, error["code"]) == (400, 21100), error
    assert "lone surrogate" in error["message"]
    code, page = await server.json("GET", "/Messages.json")
    assert code == 200 and page["total"] == 0 and server.woken == []
