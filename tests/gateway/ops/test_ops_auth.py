"""[ops] auth: /metrics behind Basic auth when asked, /health open with its
carrier details behind the credentials, both under the failure budgets."""
from __future__ import annotations

import base64
import json

import pytest
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock
from twisted.web.test.requesthelper import DummyRequest

from gateway.config import model as config
from gateway.api.auth_guard import AuthBudget, AuthGuard, OpsAuth
from gateway.ops.health import HealthResource, Monitor
from gateway.ops.metrics import MetricsResource
from gateway.daemon.root import build

from tests.gateway.ops.test_health import carrier


def _request(user=None, password=None):
    request = DummyRequest([b""])
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode())
        request.requestHeaders.setRawHeaders(b"authorization", [b"Basic " + token])
    return request


def _monitor():
    monitor = Monitor(store=None, clock=Clock())
    monitor.add_carrier("smsc-a", carrier(), "smpp")
    return monitor


def _ops(clock=None, **budget):
    return OpsAuth(AuthGuard(clock or Clock(), AuthBudget(**budget)), "ops", "s3cret")


def test_metrics_need_the_ops_credentials_when_asked():
    resource = MetricsResource(_monitor(), _ops())
    request = _request()
    body = json.loads(resource.render_GET(request))
    assert request.responseCode == 401 and body["status"] == 401 and body["code"] == 20003
    assert request.responseHeaders.getRawHeaders(b"www-authenticate")
    request = _request("ops", "wrong")
    resource.render_GET(request)
    assert request.responseCode == 401
    request = _request("ops", "s3cret")
    text = resource.render_GET(request)
    assert request.responseCode in (None, 200) and b"carrier_gateway_carrier_up" in text


def test_metrics_wrong_passwords_run_out_of_budget():
    clock = Clock()
    resource = MetricsResource(_monitor(), _ops(clock, max_failures_per_ip=2, window=60))
    for _ in range(2):
        resource.render_GET(_request("ops", "guess"))
    request = _request("ops", "s3cret")
    body = json.loads(resource.render_GET(request))
    assert request.responseCode == 429 and body["code"] == 20429
    assert request.responseHeaders.getRawHeaders(b"retry-after") == [b"30"]


def test_health_stays_open_with_details_behind_auth():
    resource = HealthResource(_monitor(), _ops())
    request = _request()
    assert json.loads(resource.render_GET(request)) == {"status": "down"}
    assert request.responseCode == 503  # a load balancer acts on the code alone
    request = _request("ops", "wrong")
    assert json.loads(resource.render_GET(request)) == {"status": "down"}
    full = json.loads(resource.render_GET(_request("ops", "s3cret")))
    assert full["carriers"]["smsc-a"]["binds"] == 2 and "queue_depth" in full


def test_open_by_default():
    resource = HealthResource(_monitor())
    assert "carriers" in json.loads(resource.render_GET(_request()))
    request = _request()
    MetricsResource(_monitor()).render_GET(request)
    assert request.responseCode in (None, 200)


BASE = '[store]\nurl = "sqlite:///{db}"\n[[accounts]]\nsid = "AC1"\nauth_token = "one"\n'


def test_daemon_wires_ops_auth_from_config(tmp_path):
    text = BASE.format(db=tmp_path / "x.db") + ('[ops]\nusername = "ops"\npassword = "s3cret"\n'
                                                 'metrics_auth = true\nhealth_details_auth = true\n'
                                                 '[api]\nauth_max_failures_per_ip = 7\n')
    tree = build(config.loads(text), MemoryReactorClock(), environ={})
    root = tree.parts.api.resource()
    metrics, health = root.children[b"metrics"], root.children[b"health"]
    assert metrics.auth is health.details_auth is not None
    assert metrics.auth.guard is tree.parts.api.auth_guard
    assert tree.parts.api.auth_guard.budget.max_failures_per_ip == 7
    assert "s3cret" not in repr(config.loads(text))
    plain = build(config.loads(BASE.format(db=tmp_path / "y.db")), MemoryReactorClock(), environ={})
    assert plain.parts.api.resource().children[b"metrics"].auth is None


@pytest.mark.parametrize("text, problem", [
    ("[ops]\nmetrics_auth = true\n", "ops.username: is required"),
    ('[ops]\nusername = "ops"\nhealth_details_auth = true\n', "ops.password: is required"),
    ('[ops]\nusername = "a:b"\npassword = "p"\n', "ops.username: must not contain ':'"),
    ("[ops]\nmetrics = true\n", "ops.metrics: unknown key"),
])
def test_ops_config_errors(text, problem):
    with pytest.raises(config.ConfigError, match=problem):
        config.loads(text)
