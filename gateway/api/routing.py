"""Routing of the HTTP surface: OpenAPI path templates to handlers by method.

Rules:

* A route is written as an OpenAPI path template (``/Messages/{Sid}.json``);
  a ``{name}`` is one or more characters other than ``/`` and reaches the
  handler as the keyword ``name``.  The same templates are the ``paths`` of
  the published document (``gateway/api/openapi.json``), and a test checks
  that the two agree, so the table is the contract.
* Templates are tried in order over the percent-decoded path; the first that
  matches the whole path wins.  A GET route answers HEAD.
* A path that matches with another method is 405 with an ``Allow`` header,
  but a route under ``/Accounts/{AccountSid}`` authenticates first: without
  valid credentials it is 401 whatever the method (nothing about the
  resource is told to a stranger).  Anything else is 404.  All three are the
  API's JSON error.
* Resources mounted at a first path segment (``/health``, ``/metrics``,
  ``/mm7``) keep their subtree; :func:`mounted_routes` lists what they serve.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from twisted.web.resource import Resource

_PARAMETER = re.compile(r"\{(\w+)\}")


def compile_template(template: str) -> re.Pattern:
    """``/a/{b}.json`` -> a pattern whose group ``b`` is one or more non-``/``."""
    out, at = [], 0
    for match in _PARAMETER.finditer(template):
        out.append(re.escape(template[at:match.start()]))
        out.append(f"(?P<{match.group(1)}>[^/]+)")
        at = match.end()
    out.append(re.escape(template[at:]))
    return re.compile("".join(out))


@dataclass(frozen=True)
class Route:
    template: str
    handlers: Mapping[bytes, Callable[..., Any]]
    pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", compile_template(self.template))

    @property
    def methods(self) -> frozenset[str]:
        return frozenset(m.decode("ascii") for m in self.handlers)

    @property
    def authenticated(self) -> bool:
        return "{AccountSid}" in self.template


def allow_header(methods) -> bytes:
    """The ``Allow`` value for a route: its methods, and HEAD with GET."""
    names = set(methods) | ({"HEAD"} if "GET" in methods else set())
    return ", ".join(sorted(names)).encode("ascii")


def resource_methods(resource: Resource) -> frozenset[str]:
    """The methods a twisted.web resource renders (``render_GET`` -> GET)."""
    return frozenset(name[7:] for name in dir(resource)
                     if name.startswith("render_") and name[7:].isupper() and name != "render_HEAD")


def mounted_routes(prefix: str, resource: Resource) -> Iterator[tuple[str, frozenset[str]]]:
    """(template, methods) a mounted resource serves.  A resource may list
    its own as ``openapi_paths = {"/{name}": ("POST",)}``; a leaf serves its
    own path with its ``render_*`` methods; others, their children's."""
    declared = getattr(resource, "openapi_paths", None)
    if declared is not None:
        for sub, methods in declared.items():
            yield prefix + sub, frozenset(methods)
    elif getattr(resource, "isLeaf", False):
        yield prefix, resource_methods(resource)
    else:
        for name, child in sorted(resource.children.items()):
            yield from mounted_routes(f"{prefix}/{name.decode('utf-8')}", child)


class Root(Resource):
    """The site's root: mounted resources by their first path segment
    (``putChild``), every other path to the route table."""

    def __init__(self, table: "Routes") -> None:
        super().__init__()
        self.table = table

    def getChild(self, path: bytes, request) -> Resource:
        return self.table

    def render(self, request):
        return self.table.render(request)


class Routes(Resource):
    """A leaf that matches the decoded path against the routes.  ``api``
    answers what no route serves (``bad_path``, ``not_found``,
    ``not_allowed``) and runs a handler (``respond``)."""

    isLeaf = True

    def __init__(self, api: Any, routes: list[Route]) -> None:
        super().__init__()
        self.api = api
        self.routes = routes

    def render(self, request):
        from urllib.parse import unquote_to_bytes

        try:
            path = unquote_to_bytes(request.path).decode("utf-8")
        except UnicodeDecodeError:
            return self.api.bad_path(request)
        method = b"GET" if request.method == b"HEAD" else request.method
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match is not None:
                handler = route.handlers.get(method)
                if handler is None:
                    return self.api.not_allowed(request, route, match.groupdict())
                return self.api.respond(request, handler(request, **match.groupdict()))
        return self.api.not_found(request)
