"""The MM7 endpoint the MMSC calls: ``/mm7/{carrier}`` (twisted.web).

It reads DeliveryReportReq and DeliverReq leniently and hands them to two
hooks given by the daemon:

* ``on_delivery_report(carrier, report: DeliveryReport) -> Deferred | None``
* ``on_deliver(carrier, mm: InboundMM) -> Deferred | None``

The answer (DeliveryReportRsp / DeliverRsp 1000) is written only once the
hook's Deferred fires, i.e. once the store has it: nothing acknowledged is
lost.  A hook raising ``Rejected(status, text)`` is answered with that MM7
status in a SOAP fault; any other failure gets 3000 (server error) so the
MMSC delivers again.  Malformed or hostile input gets a SOAP fault with an
MM7 client-error status (2007 / 4003 / 4004), never a crash; a defect in the
readers themselves is logged and answered 3000, never Twisted's HTML 500.  Answers use the
namespace and MM7Version the MMSC used.  Every error under ``/mm7`` is a
SOAP fault, HTTP errors too: 401 (2000), an unknown carrier or a path below
one 404 (2000), another method than POST 405 with ``Allow: POST`` (4003).
"""
from __future__ import annotations

import base64
import hmac
from typing import Callable

from twisted.internet.defer import maybeDeferred
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from protocols.mm7.envelope import Dialect, answering
from protocols.mm7.errors import CLIENT_ERROR, SERVER_ERROR, UNSUPPORTED_OPERATION, Mm7Error
from protocols.mm7.messages import read_deliver, read_delivery_report
from protocols.mm7.parse import read_envelope
from protocols.mm7.responses import fault, response

log = Logger()
MAX_BODY = 8 * 1024 * 1024
_READERS = {"DeliveryReportReq": ("DeliveryReportRsp", read_delivery_report),
            "DeliverReq": ("DeliverRsp", read_deliver)}


class Rejected(Exception):
    """Raised by a hook to refuse a request with an MM7 status (e.g. 2002)."""

    def __init__(self, status_code: int, text: str):
        super().__init__(text)
        self.status_code, self.text = status_code, text


class Mm7Root(Resource):
    """Mount as ``/mm7``; ``/mm7/{carrier}`` is served when ``carriers``
    contains the name (``credentials[carrier] = (user, password)`` makes
    Basic auth mandatory for that carrier)."""

    openapi_paths = {"/{carrier}": ("POST",)}  # what it serves, for the published document

    def __init__(self, on_delivery_report: Callable, on_deliver: Callable, *,
                 carriers=None, credentials=None, max_body: int = MAX_BODY):
        super().__init__()
        self.on_delivery_report = on_delivery_report
        self.on_deliver = on_deliver
        self.carriers = carriers  # None: any name (tests, labs)
        self.credentials = credentials or {}
        self.max_body = max_body

    def getChild(self, path: bytes, request):
        name = path.decode("utf-8", "replace")
        if self.carriers is not None and name not in self.carriers:
            return _FaultPage(404, CLIENT_ERROR, f"no MM7 carrier named {name!r} here")
        return Mm7CarrierResource(self, name)

    def render(self, request):
        return _FaultPage(404, CLIENT_ERROR, "POST to /mm7/{carrier}").render(request)


class _FaultPage(Resource):
    """An HTTP error under /mm7 as a SOAP fault."""

    isLeaf = True

    def __init__(self, http_status: int, code: int, text: str):
        super().__init__()
        self.http_status, self.code, self.text = http_status, code, text

    def render(self, request):
        request.setResponseCode(self.http_status)
        request.setHeader(b"content-type", b'text/xml; charset="utf-8"')
        if self.http_status == 401:
            request.setHeader(b"www-authenticate", b'Basic realm="mm7"')
        elif self.http_status == 405:
            request.setHeader(b"allow", b"POST")
        return fault(Dialect(), None, self.code, self.text)


def _dialect(env) -> Dialect:
    return answering(env.version, env.namespace) if env is not None else Dialect()


class Mm7CarrierResource(Resource):
    isLeaf = True

    def __init__(self, root: Mm7Root, carrier: str):
        super().__init__()
        self.root, self.carrier = root, carrier

    def _authorized(self, request) -> bool:
        expected = self.root.credentials.get(self.carrier)
        if not expected:
            return True
        header = (request.getHeader(b"authorization") or b"").decode("latin-1")
        if not header.lower().startswith("basic "):
            return False
        try:
            given = base64.b64decode(header[6:].strip(), validate=True)
        except ValueError:
            return False
        wanted = f"{expected[0]}:{expected[1]}".encode()
        return hmac.compare_digest(given, wanted)

    def render(self, request):
        if request.postpath not in ([], [b""]):
            return _FaultPage(404, CLIENT_ERROR, "nothing is served below /mm7/{carrier}").render(request)
        if not self._authorized(request):
            return _FaultPage(401, CLIENT_ERROR, "authentication required").render(request)
        if request.method != b"POST":
            return _FaultPage(405, UNSUPPORTED_OPERATION, "only POST is served here").render(request)
        return self.render_POST(request)

    def render_POST(self, request):
        env = None
        try:
            raw_length = request.getHeader(b"content-length") or b"0"
            length = int(raw_length) if raw_length.strip().isdigit() else 0
            if length > self.root.max_body:
                raise Mm7Error(f"request body of {length} bytes is over the {self.root.max_body}-byte cap")
            body = request.content.read(self.root.max_body + 1)
            env = read_envelope(request.getHeader(b"content-type"), body, max_bytes=self.root.max_body)
            if env.kind not in _READERS:
                raise Mm7Error(f"operation {env.kind} is not supported here", 4003)
            answer_kind, reader = _READERS[env.kind]
            message = reader(env)
        except Mm7Error as exc:
            log.warn("mm7 {carrier}: refused request: {why}", carrier=self.carrier, why=str(exc))
            return self._fault(request, env, exc.status_code, str(exc))
        except Exception:  # a reader defect: still a SOAP fault, and the MMSC delivers again
            log.failure("mm7 {carrier}: reading the request failed", carrier=self.carrier)
            return self._fault(request, env, SERVER_ERROR, "temporary failure, please retry")
        hook = self.root.on_delivery_report if env.kind == "DeliveryReportReq" else self.root.on_deliver
        d = maybeDeferred(hook, self.carrier, message)
        d.addCallbacks(lambda _: self._answer(request, response(_dialect(env), answer_kind, env.transaction_id or "0")),
                       lambda failure: self._failed(request, env, failure))
        return NOT_DONE_YET

    def _failed(self, request, env, failure):
        if failure.check(Rejected):
            code, text = failure.value.status_code, failure.value.text
        else:
            log.failure("mm7 {carrier}: handler failed", failure, carrier=self.carrier)
            code, text = SERVER_ERROR, "temporary failure, please retry"
        self._answer(request, fault(_dialect(env), env.transaction_id, code, text), 500)

    def _fault(self, request, env, code: int, text: str) -> bytes:
        request.setResponseCode(500)
        request.setHeader(b"content-type", b'text/xml; charset="utf-8"')
        tid = env.transaction_id if env else None
        return fault(_dialect(env), tid, code, text)

    def _answer(self, request, payload: bytes, code: int = 200) -> None:
        if getattr(request, "_disconnected", False) or request.finished:
            return
        request.setResponseCode(code)
        request.setHeader(b"content-type", b'text/xml; charset="utf-8"')
        request.write(payload)
        request.finish()
