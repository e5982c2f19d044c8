"""Every error of the site is the API's JSON {code, message, status,
more_info} -- on the mounted /health and /metrics too -- or a SOAP fault
under /mm7/; credentials are checked before the method (issue 10, items 17
and 18).  Over a real loopback listener."""
from __future__ import annotations

import base64
import json

import pytest
import pytest_twisted
from lxml import etree
from twisted.internet import reactor

from gateway.api.requests import make_site
from gateway.ops.health import HealthResource, Monitor
from gateway.ops.metrics import MetricsResource
from gateway.mms.endpoint import Mm7Root

from .conftest import ACCOUNT, TOKEN

ERROR_KEYS = {"code", "message", "status", "more_info"}
SOAP_FAULT = "{http://schemas.xmlsoap.org/soap/envelope/}Fault"


@pytest.fixture
def site(server):
    server.api.mount("health", HealthResource(Monitor(server.store, reactor)))
    server.api.mount("metrics", MetricsResource(Monitor(server.store, reactor)))
    server.api.mount("mm7", Mm7Root(lambda *a: None, lambda *a: None, carriers={"m", "open"},
                                    credentials={"m": ("user", "pw")}))
    return server


async def fetch(server, method, path, headers=None):
    response = await server.client.request(method, server.base + path, headers=headers or {}, data=b"")
    return response, await response.content()


def assert_json_error(response, body, status, code):
    assert response.code == status
    assert response.headers.getRawHeaders("content-type") == ["application/json"]
    error = json.loads(body)
    assert set(error) == ERROR_KEYS and (error["status"], error["code"]) == (status, code)


@pytest_twisted.ensureDeferred
async def test_health_and_metrics_answer_other_methods_with_json_405(site):
    for path, allow in (("/health", "GET, HEAD"), ("/metrics", "GET, HEAD")):
        for method in ("POST", "PUT", "DELETE"):
            response, body = await fetch(site, method, path)
            assert_json_error(response, body, 405, 20405)
            assert response.headers.getRawHeaders("allow") == [allow]
        response, _ = await fetch(site, "GET", path)
        assert response.code == 200
        response, _ = await fetch(site, "GET", path + "/")
        assert response.code == 200


@pytest_twisted.ensureDeferred
async def test_paths_below_health_and_metrics_are_json_404(site):
    for path in ("/health/x", "/metrics/a/b"):
        response, body = await fetch(site, "GET", path)
        assert_json_error(response, body, 404, 20404)


def assert_soap_fault(response, body, status, mm7_status):
    assert response.code == status
    assert response.headers.getRawHeaders("content-type")[0].startswith("text/xml")
    root = etree.fromstring(body)
    fault = root.find(f".//{SOAP_FAULT}")
    assert fault is not None
    assert fault.xpath("string(.//*[local-name()='StatusCode'])") == str(mm7_status)


@pytest_twisted.ensureDeferred
async def test_mm7_errors_are_soap_faults(site):
    for method, path, status, mm7_status in (("POST", "/mm7/nobody", 404, 2000),
                                            ("GET", "/mm7", 404, 2000),
                                            ("GET", "/mm7/", 404, 2000),
                                            ("POST", "/mm7/open/deeper", 404, 2000),
                                            ("GET", "/mm7/open", 405, 4003),
                                            ("PUT", "/mm7/open", 405, 4003),
                                            ("POST", "/mm7/m", 401, 2000),
                                            ("GET", "/mm7/m", 401, 2000)):
        response, body = await fetch(site, method, path)
        assert_soap_fault(response, body, status, mm7_status)
    response, _ = await fetch(site, "GET", "/mm7/open")
    assert response.headers.getRawHeaders("allow") == ["POST"]
    creds = {"Authorization": "Basic " + base64.b64encode(b"user:pw").decode()}
    response, body = await fetch(site, "GET", "/mm7/m", creds)
    assert_soap_fault(response, body, 405, 4003)


@pytest_twisted.ensureDeferred
async def test_credentials_are_checked_before_the_method(site):
    """DELETE without credentials is 401 (it was 405: the path's existence
    was told to anyone); with them it is 405 with Allow."""
    base = f"/api/2012-04-24/Accounts/{ACCOUNT}"
    for path in ("/Messages.json", "/SMS/Messages", "/Messages/SM" + "0" * 32,
                 "/MediaAttachments/ME" + "0" * 32 + ".json"):
        response, body = await fetch(site, "DELETE", base + path)
        assert_json_error(response, body, 401, 20003)
        assert response.headers.getRawHeaders("www-authenticate")
        response, body = await fetch(site, "DELETE", base + path, {
            "Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:wrong".encode()).decode()})
        assert_json_error(response, body, 401, 20003)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()}
    response, body = await fetch(site, "DELETE", base + "/Messages.json", auth)
    assert_json_error(response, body, 405, 20405)
    assert response.headers.getRawHeaders("allow") == ["GET, HEAD, POST"]
    response, body = await fetch(site, "DELETE", base.replace(ACCOUNT, "ACother") + "/Messages", auth)
    assert_json_error(response, body, 403, 20403)


@pytest_twisted.ensureDeferred
async def test_unknown_paths_anywhere_are_json_404(site):
    for path in ("/", "/favicon.ico", "/api", "/api/openapi.yaml", "/healthz",
                 f"/api/2012-04-24/Accounts/{ACCOUNT}/Calls.json"):
        for method in ("GET", "POST", "DELETE"):
            response, body = await fetch(site, method, path)
            assert_json_error(response, body, 404, 20404)
