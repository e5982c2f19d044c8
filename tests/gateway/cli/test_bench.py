"""carrier-gateway bench: argument checks before anything connects (the runs
themselves are in tests/gateway/simulators/bench/test_load.py and test_loopback.py)."""
from __future__ import annotations

import argparse
from typing import Any

import pytest

from gateway.cli import bench


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize("argv,message", [
    (("--bind", "rx"), "--bind rx cannot send submit_sm; use tx+rx"),
    (("--bind", "tx", "--receipts"), "--receipts needs a bind that receives"),
    (("--binds", "0"), "must be at least 1"),
    (("--window", "0"), "must be at least 1"),
    (("--rate", "-5"), "--rate must not be negative"),
])
def test_refused_with_a_clear_message(argv: tuple, message: str, capsys: Any):
    assert bench.run(parse(*argv)) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("name,kind", [("trx", "transceiver"), ("tx", "transmitter"),
                                       ("tx+rx", "transmitter+receiver"),
                                       ("transceiver", "transceiver")])
def test_bind_names(name: str, kind: str):
    receipts = ("--receipts",) if kind != "transmitter" else ()
    args = parse("--bind", name, *receipts)
    assert bench._BINDS[args.bind] == kind and bench._check(args) is None


def test_human_summary_names_every_figure():
    result = {"sent": 10, "binds": [{"name": "bind-1", "sent": 10, "submit_sm_per_s": 5.0}],
              "window": 100, "submit_sm_per_s": 5.0, "elapsed_s": 2.0,
              "latency_ms": {"p50": 1.0, "p99": 2.0}, "responses": {"ESME_ROK": 10},
              "receipts_received": 10, "receipts_matched": 9, "receipts_per_s": 5.0}
    text = bench.human(result, parse("--receipts"))
    assert "10 submit_sm over 1 bind(s), window 100: 5 submit_sm/s" in text
    assert "bind-1: 10 sent" in text and "p50 1.0 ms, p99 2.0 ms" in text
    assert "ESME_ROK 10" in text and "10 received, 9 matched" in text
