"""The published contract (gateway/api/openapi.json): a valid OpenAPI 3.1
document, served as shipped at /api/openapi.json without credentials, and
naming exactly what the daemon serves -- every route of a full daemon's
site is in it and every path and method in it is served."""
from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate
from twisted.internet.testing import MemoryReactorClock

from gateway.config import model as config
from gateway.daemon.root import build

from .conftest import ACCOUNT, TOKEN
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

FILE = Path(__file__).parents[3] / "gateway" / "api" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DAEMON = """
[store]
url = "sqlite:///{db}"
[[accounts]]
sid = "AC1"
auth_token = "one"
[[carriers]]
name = "s"
host = "127.0.0.1"
port = 9
system_id = "s"
routes = ["+1"]
[[carriers]]
name = "m"
protocol = "mm7"
url = "http://127.0.0.1:9/mm7"
vasp_id = "v"
vas_id = "v"
service_code = "1"
routes = ["+44"]
"""


def document() -> dict:
    return json.loads(FILE.read_text(encoding="utf-8"))


def documented() -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in document()["paths"].items()
            for method in item if method in METHODS}


def test_the_document_is_valid_openapi_3_1():
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_route_of_a_full_daemon_is_documented_and_nothing_else(tmp_path):
    from gateway.daemon.process import _DemoFiles
    from gateway.daemon.demo import picture_resource

    tree = build(config.loads(DAEMON.format(db=tmp_path / "x.db")), MemoryReactorClock(), environ={})
    api = tree.parts.api
    api.mount("demo", _DemoFiles(picture_resource()))  # as the demo mode does
    served = {(template, method) for template, methods in api.routes() for method in methods}
    assert served == documented()


def test_every_error_response_is_the_error_shape_or_a_soap_fault():
    doc = document()
    responses = doc["components"]["responses"]
    for path, item in doc["paths"].items():
        for method, operation in ((m, o) for m, o in item.items() if m in METHODS):
            for status, response in operation["responses"].items():
                if int(status) < 400 or (path, status) == ("/health", "503"):
                    continue  # /health says "down" with 503 in its own shape
                response = responses[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
                content = response["content"]
                if path.startswith("/mm7/"):
                    assert list(content) == ["text/xml"], (path, method, status)
                else:
                    assert content == {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Error"}}}, (path, method, status)


@in_memory
async def test_the_daemon_serves_the_file_as_it_is_without_credentials(server):
    response = await server.client.get(server.base + "/api/openapi.json")
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type") == ["application/json"]
    assert await response.content() == FILE.read_bytes()
    response = await server.client.post(server.base + "/api/openapi.json", data=b"")
    assert response.code == 405
    assert json.loads(await response.content())["code"] == 20405


def _concrete(template: str) -> str:
    return (template.replace("{AccountSid}", ACCOUNT).replace("{Sid}", "SM" + "0" * 32)
            .replace("{MediaSid}", "ME" + "0" * 32))


@in_memory
async def test_each_documented_api_route_is_served_with_its_methods_only(server):
    """Over a real listener: a documented method reaches a handler (not 404
    or 405); any other method is 405 listing the documented ones in Allow."""
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()}
    api_paths = {p: item for p, item in document()["paths"].items()
                 if p.startswith(("/api/", "/2010-04-01/"))}
    assert len(api_paths) == 11 + 16  # the Twilio-compatible surface: 8 paths under each of 2 bases
    for template, item in api_paths.items():
        url = server.base + _concrete(template)
        allowed = {m.upper() for m in item if m in METHODS}
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            response = await server.client.request(method, url, headers=auth, data=b"")
            body = json.loads(await response.content())
            if method in allowed:
                assert response.code not in (404, 405) or body["code"] == 20404 and "{Sid}" in template, \
                    (method, template, body)
            else:
                assert (response.code, body["code"]) == (405, 20405), (method, template)
                allow = response.headers.getRawHeaders("allow")[0].split(", ")
                assert set(allow) == allowed | ({"HEAD"} if "GET" in allowed else set())
