"""``carrier-gateway config reference`` prints the reference made from the model."""
from __future__ import annotations

import tomllib

from gateway.cli.main import main
from gateway.config.reference import reference


def test_config_reference_prints_every_key_from_the_model(capsys):
    assert main(["config", "reference"]) == 0
    out = capsys.readouterr().out
    assert out == reference()
    api = tomllib.loads(out.split("\n[ops]", 1)[0])["api"]
    assert api["listen"] == "127.0.0.1:8080" and api["max_body_bytes"] == 65536
