from pathlib import Path

import pytest

from gateway.mms.limits import (
    DEFAULT_PROFILES, KB, MB, LONG_CODE, SHORT_CODE, TOLL_FREE, load_profiles, profile_for, sender_type,
    size_limit,
)

CONF = Path(__file__).resolve().parents[3] / "conf" / "mm7_limits.toml"


@pytest.mark.parametrize("sender,kind", [
    ("+15551234567", LONG_CODE), ("mms:+15551234567", LONG_CODE), ("12345", SHORT_CODE),
    ("123456", SHORT_CODE), ("1234567", LONG_CODE), ("+18005551234", TOLL_FREE),
    ("mms:+18885551234", TOLL_FREE), ("+18115551234", LONG_CODE), ("+448005551234", LONG_CODE),
])
def test_sender_type(sender, kind):
    assert sender_type(sender) == kind


@pytest.mark.parametrize("carrier,sender,limit", [
    ("att", "+15551234567", 1 * MB), ("AT&T", "12345", 1 * MB), ("att-east", "+18005551234", 525 * KB),
    ("verizon", "+15551234567", int(1.2 * MB)), ("VZW", "+18445551234", 525 * KB),
    ("T-Mobile", "55555", 1 * MB), ("sprint", "+15551234567", 2 * MB),
    ("US Cellular", "+15551234567", 500 * KB), ("uscellular", "+18775551234", 525 * KB),
    ("acme-mmsc", "+15551234567", 500 * KB), ("acme-mmsc", "+18775551234", 500 * KB),
])
def test_documented_defaults(carrier, sender, limit):
    assert size_limit(carrier, sender) == limit


def test_config_overrides_win():
    assert size_limit("att", "+18005551234", {"toll_free": 300000}) == 300000
    assert size_limit("att", "+15551234567", {"toll_free": 300000}) == 1 * MB


def test_shipped_toml_matches_package_defaults():
    assert load_profiles(CONF.read_text()) == dict(DEFAULT_PROFILES)
    assert profile_for("nobody") is DEFAULT_PROFILES["default"]
