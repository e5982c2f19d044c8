import pytest

from gateway.messages.addresses import parse_pair
from gateway.messages.errors import ApiError

from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

GOOD = [
    (("sms:+14155550100", "sms:+447700900123", True), ("sms", "+14155550100", "+447700900123")),
    (("sms:My Shop 24", "sms:+14155550100", True), ("sms", "My Shop 24", "+14155550100")),
    (("sms:ABCDEFGHIJK", "sms:+14155550100", True), ("sms", "ABCDEFGHIJK", "+14155550100")),
    (("mms:12345", "mms:+14155550100", True), ("mms", "12345", "+14155550100")),
    (("SMS:+14155550100", "Sms:+14155550101", True), ("sms", "+14155550100", "+14155550101")),
    (("+14155550100", "+14155550101", False), ("sms", "+14155550100", "+14155550101")),
    (("Shop", "sms:+14155550101", False), ("sms", "Shop", "+14155550101")),
    # Digits without '+', one rule for From and To (gateway.messages.numbering);
    # with no config every form routes: 3-8 a short code, 9-15 (no leading
    # 0) an international number without its '+'.
    (("19876543212", "+14155550101", False), ("sms", "+19876543212", "+14155550101")),
    (("+14155550100", "14155550101", False), ("sms", "+14155550100", "+14155550101")),
    (("sms:447700900123", "sms:14155550101", True), ("sms", "+447700900123", "+14155550101")),
    (("+14155550100", "12345", False), ("sms", "+14155550100", "12345")),
    (("sms:+14155550100", "sms:123", True), ("sms", "+14155550100", "123")),
    (("mms:12345678", "mms:87654321", True), ("mms", "12345678", "87654321")),
    (("SHOP1", "12345", False), ("sms", "SHOP1", "12345")),
]

DIGITS_BAD = [
    ("0201234567", "+14155550101", False, 21212),  # national, trunk 0
    ("+14155550100", "07700900123", False, 21211),
    ("+14155550100", "12", False, 21211),
    ("sms:+14155550100", "sms:1234567890123456", True, 21211),  # 16 digits
    ("sms:1234567890123456", "sms:+14155550100", True, 21212),
]

BAD = [
    ("sms:ABCDEFGHIJKL", "sms:+14155550100", True, 21212),  # 12 characters
    ("sms:Shop-1", "sms:+14155550100", True, 21212),
    ("sms:   ", "sms:+14155550100", True, 21212),
    ("mms:Shop", "mms:+14155550100", True, 21212),  # no alphanumeric MMS
    ("sms:+14155550100", "mms:+14155550101", True, 21212),  # channels differ
    ("sms:+14155550100", "sms:+1", True, 21211),
    ("sms:+14155550100", "sms:+1415555010012345", True, 21211),
    ("sms:+14155550100", "sms:0014155550100", True, 21211),
    ("sms:+14155550100", "rcs:+14155550100", True, 21211),
    ("sms:+14155550100", "+14155550100", True, 21211),  # Messages API wants a URI
    ("+14155550100", "client:alice", False, 21211),
    ("client:bob", "+14155550100", False, 21212),
]


@pytest.mark.parametrize("args,expected", GOOD)
def test_good_addresses(args, expected):
    assert parse_pair(args[0], args[1], uris=args[2]) == expected


@pytest.mark.parametrize("sender,recipient,uris,code", BAD + DIGITS_BAD)
def test_bad_addresses(sender, recipient, uris, code):
    with pytest.raises(ApiError) as caught:
        parse_pair(sender, recipient, uris=uris)
    assert caught.value.code == code and caught.value.status == 400


@in_memory
async def test_sms_api_example_numbers_without_plus(server):
    """The SMS API's own example, From=19876543212, is that number; a short
    code in To is a short code."""
    code, body = await server.json("POST", "/SMS/Messages.json", data={
        "From": "19876543212", "To": "14155550101", "Body": "hi"})
    assert code == 201, body
    assert (body["from"], body["to"]) == ("+19876543212", "+14155550101")
    code, body = await server.json("POST", "/SMS/Messages.json", data={
        "From": "+19876543212", "To": "72345", "Body": "STOP"})
    assert code == 201 and body["to"] == "72345"
