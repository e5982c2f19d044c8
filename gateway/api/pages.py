"""Leaf resources mounted beside the API (``/health``, ``/metrics``) whose
errors are the API's JSON: another method is 405 with ``Allow``, a path
below the leaf is 404 (a trailing ``/`` is the leaf itself)."""
from __future__ import annotations

from twisted.web.resource import Resource

from .errors import NOT_ALLOWED, NOT_FOUND, error_page
from .routing import allow_header, resource_methods


class JsonErrorsLeaf(Resource):
    isLeaf = True

    def render(self, request):
        if request.postpath not in ([], [b""]):
            return error_page(request, NOT_FOUND)
        methods = resource_methods(self)
        method = request.method.decode("latin-1")
        if (method if method != "HEAD" else "GET") not in methods:
            request.setHeader(b"allow", allow_header(methods))
            return error_page(request, NOT_ALLOWED)
        return super().render(request)


class JsonErrorsDirectory(Resource):
    """A container of named children (``putChild``): its own path and any
    other name below it are JSON 404s."""

    def getChild(self, path: bytes, request) -> Resource:
        return _NotFound()

    def render(self, request):
        return error_page(request, NOT_FOUND)


class _NotFound(Resource):
    isLeaf = True

    def render(self, request):
        return error_page(request, NOT_FOUND)
