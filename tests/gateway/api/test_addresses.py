import pytest

from gateway.api.addresses import parse_pair
from gateway.api.errors import ApiError

GOOD = [
    (("sms:+14155550100", "sms:+447700900123", True), ("sms", "+14155550100", "+447700900123")),
    (("sms:My Shop 24", "sms:+14155550100", True), ("sms", "My Shop 24", "+14155550100")),
    (("sms:ABCDEFGHIJK", "sms:+14155550100", True), ("sms", "ABCDEFGHIJK", "+14155550100")),
    (("mms:12345", "mms:+14155550100", True), ("mms", "12345", "+14155550100")),
    (("SMS:+14155550100", "Sms:+14155550101", True), ("sms", "+14155550100", "+14155550101")),
    (("+14155550100", "+14155550101", False), ("sms", "+14155550100", "+14155550101")),
    (("Shop", "sms:+14155550101", False), ("sms", "Shop", "+14155550101")),
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


@pytest.mark.parametrize("sender,recipient,uris,code", BAD)
def test_bad_addresses(sender, recipient, uris, code):
    with pytest.raises(ApiError) as caught:
        parse_pair(sender, recipient, uris=uris)
    assert caught.value.code == code and caught.value.status == 400
