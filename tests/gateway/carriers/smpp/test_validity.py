"""validity_period in the carrier's validity_format (SMPP 3.4 section 7.1.1)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import pytest_twisted

from gateway.config import model as config
from gateway.sms.outbound.submit_sm import absolute_validity, build_submits, relative_validity, validity_field
from segmentation import plan
from tests.gateway.e2e.harness import Gateway, Smsc, gateway_config

NOW = datetime(2026, 12, 3, 7, 30, 15, 250_000, tzinfo=timezone.utc)
ROW = {"from_": "+15005550006", "to": "+15551230001"}
ABSOLUTE = re.compile(r"^\d{12}\d00\+$")


def test_absolute_is_utc_with_tenths_and_zero_offset():
    assert absolute_validity(NOW) == "261203073015200+"
    plus_two = timezone(timedelta(hours=2))
    assert absolute_validity(NOW.astimezone(plus_two)) == "261203073015200+"
    assert len(absolute_validity(NOW)) == 16


def test_field_in_each_format():
    assert validity_field(None, NOW, "absolute") == ""
    assert validity_field(3600, NOW) == relative_validity(3600) == "000000010000000R"
    assert validity_field(3600, NOW, "absolute") == "261203083015200+"
    # more than the relative form's 99 days is no problem for the absolute one
    assert validity_field(200 * 86400, NOW, "absolute") == "270621073015200+"


def test_build_submits_uses_the_format_on_every_part():
    parts = plan("x" * 400, reference=1)
    pdus = build_submits(ROW, parts, registered_delivery=1, validity=600,
                         validity_format="absolute", now=NOW)
    assert len(pdus) == 3
    assert {p.validity_period for p in pdus} == {"261203074015200+"}
    relative = build_submits(ROW, parts, registered_delivery=1, validity=600)
    assert {p.validity_period for p in relative} == {"000000001000000R"}
    with pytest.raises(ValueError):
        build_submits(ROW, parts, registered_delivery=1, validity=600, validity_format="absolute")


def _carrier(extra: str) -> config.SmppSettings:
    cfg = config.loads(f"""
[[carriers]]
name = "a"
host = "h"
port = 1
system_id = "s"
{extra}
""")
    return cfg.carriers[0].smpp


def test_config_key_defaults_to_relative_and_refuses_others():
    assert _carrier("").validity_format == "relative"
    assert _carrier('validity_format = "absolute"').validity_format == "absolute"
    with pytest.raises(config.ConfigError, match="validity_format"):
        _carrier('validity_format = "julian"')


@pytest_twisted.ensureDeferred
async def test_absolute_validity_reaches_the_smsc(tmp_path):
    smsc = Smsc().start()
    cfg = gateway_config(tmp_path / "gw.db", smsc.port, extra='validity_format = "absolute"\n')
    gw = await Gateway(cfg).start()
    try:
        message = await gw.send(body="hello", ValidityPeriod="600")
        await gw.wait_status(message["sid"], {"delivered"})
        sent = smsc.sim.received[0].validity_period
        assert ABSOLUTE.match(sent), sent
        when = datetime.strptime(sent[:12], "%y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        left = (when - datetime.now(timezone.utc)).total_seconds()
        assert 500 < left <= 600
    finally:
        await gw.stop()
        await smsc.stop()
