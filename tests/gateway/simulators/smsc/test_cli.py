"""``carrier-gateway simulate smsc``'s options: read into a SimConfig, bad values refused."""
from __future__ import annotations

import argparse
from typing import Any

from gateway.simulators.smsc import cli as simcli
from gateway.simulators.smsc.behaviours import behaviour


def test_cli_options_change_the_behaviour():
    parser = argparse.ArgumentParser()
    simcli.configure(parser)
    args = parser.parse_args(["--behaviour", "ThrottleAboveSMSC", "--throttle-tps", "50",
                              "--outcomes", "DELIVRD=9,REJECTD=1", "--account", "acme:pw",
                              "--id-format", "decimal", "--error-status", "ESME_RSUBMITFAIL",
                              "--mo-every", "3", "--mo-concat", "sar",
                              "--receipt-id-format", "decimal"])
    config = simcli.config_from(args)
    assert config.throttle_tps == 50.0 and config.id_format == "decimal"
    assert dict(config.outcomes) == {"DELIVRD": 9.0, "REJECTD": 1.0}
    assert dict(config.credentials) == {"acme": "pw"} and config.error_status == 0x45
    assert config.mo_every == 3.0 and config.mo_concat == "sar"
    assert config.receipt_id_format == "decimal"
    assert behaviour("DecimalReceiptIdsSMSC").config().receipt_id_format == "decimal"
    assert "BlackHoleSMSC" in simcli.list_behaviours()


def test_cli_rejects_bad_values(capsys: Any):
    parser = argparse.ArgumentParser()
    simcli.configure(parser)
    args = parser.parse_args(["--behaviour", "nope"])
    assert simcli.run(args) == 2
    assert "unknown SMSC behaviour" in capsys.readouterr().err
