"""The shipped Grafana dashboard and Prometheus alerting rules query only
metrics that a live daemon's /metrics exports (scraped over HTTP from a
running ``carrier-gateway run``), and the rules are well formed (and pass
``promtool check rules`` when Debian's prometheus package is installed)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
import yaml

from .live import Live

CONF = os.path.join(os.path.dirname(__file__), "..", "..", "..", "conf")
DASHBOARD = os.path.join(CONF, "grafana", "carrier-gateway.json")
ALERTS = os.path.join(CONF, "prometheus", "alerts.yml")
METRIC = re.compile(r"\b((?:carrier_gateway|process)_[a-z0-9_]+)")
PANELS = ("binds up", "throughput by status", "latency p50 / p99", "throttling and queue full",
          "receipts matched and unmatched", "callback backlog and dead", "queue depth and oldest")
ALERT_NAMES = {"CarrierGatewayBindDown", "CarrierGatewayQueueOld", "CarrierGatewayDeadCallbacksRising",
               "CarrierGatewayReceiptsUnmatchedRising"}


def dashboard_exprs() -> list[str]:
    with open(DASHBOARD) as f:
        board = json.load(f)
    titles = " | ".join(p["title"].lower() for p in board["panels"])
    for wanted in PANELS:
        assert wanted in titles, wanted
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    exprs += [v["query"]["query"] for v in board["templating"]["list"] if v["type"] == "query"]
    return exprs


def alert_rules() -> list[dict]:
    with open(ALERTS) as f:
        rules = [rule for group in yaml.safe_load(f)["groups"] for rule in group["rules"]]
    assert {r["alert"] for r in rules} == ALERT_NAMES
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["annotations"]["summary"] and rule["labels"]["severity"] in ("warning", "critical")
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule
    by_name = {r["alert"]: r for r in rules}
    assert by_name["CarrierGatewayBindDown"]["for"] == "1m"
    assert "> 300" in by_name["CarrierGatewayQueueOld"]["expr"]
    return rules


@pytest.fixture
def live(tmp_path):
    running = Live(tmp_path).start()
    yield running
    running.stop()


def test_every_queried_metric_is_exported(live):
    live.send()
    queried = {m for expr in dashboard_exprs() + [r["expr"] for r in alert_rules()] for m in METRIC.findall(expr)}
    exported: set[str] = set()
    deadline = time.monotonic() + 20  # bounds a failed test; the store summary lands within 0.5 s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(live.url + "/metrics", timeout=10) as response:
            text = response.read().decode()
        exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and line[0] != "#"}
        if queried <= exported:
            break
    assert queried <= exported, sorted(queried - exported)
    assert len(queried) >= 12


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool not installed (Debian package prometheus)")
def test_promtool_checks_the_rules():
    result = subprocess.run(["promtool", "check", "rules", ALERTS], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
