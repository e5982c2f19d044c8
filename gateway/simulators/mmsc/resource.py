"""HTTP face of the MMSC simulator: SubmitReq on any path, ``/control/*``."""
from __future__ import annotations

import base64
import io
import json

from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from protocols.mm7.content import MediaItem


def _basic_auth(request) -> tuple[str, str] | None:
    header = (request.getHeader(b"authorization") or b"").decode("latin-1")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except ValueError:
        return None
    return user, password


def _arg(request, name: str, default: str = "") -> str:
    values = request.args.get(name.encode())
    return values[0].decode("utf-8", "replace") if values else default


class SimulatorResource(Resource):
    isLeaf = True

    def __init__(self, simulator):
        super().__init__()
        self.sim = simulator

    def render_GET(self, request):
        if request.path == b"/control/stats":
            request.setHeader(b"content-type", b"application/json")
            return json.dumps({"stats": dict(self.sim.stats),
                               "submissions": len(self.sim.submissions)}).encode()
        request.setResponseCode(404)
        return b"POST MM7 SubmitReq here; GET /control/stats; POST /control/deliver\n"

    def render_POST(self, request):
        if request.path == b"/control/deliver":
            return self._deliver(request)
        body = request.content.read()
        d = self.sim.handle_submit(request.getHeader(b"content-type"), body, _basic_auth(request))

        def write(answer):
            code, payload = answer
            if request.finished or getattr(request, "_disconnected", False):
                return
            request.setResponseCode(code)
            ctype = b"text/plain" if code == 401 else b'text/xml; charset="utf-8"'
            request.setHeader(b"content-type", ctype)
            if code == 401:
                request.setHeader(b"www-authenticate", b'Basic realm="mmsc"')
            request.write(payload)
            request.finish()

        d.addCallback(write)
        return NOT_DONE_YET

    def _deliver(self, request):

        sender, recipient = _arg(request, "from"), _arg(request, "to")
        if not sender or not recipient:
            request.setResponseCode(400)
            return b"from and to are required\n"
        media = [sample_png()] if _arg(request, "image") in ("1", "true", "yes") else []
        d = self.sim.send_deliver(sender, recipient, _arg(request, "text"), media,
                                  _arg(request, "subject") or None)

        def write(code):
            if not request.finished and not getattr(request, "_disconnected", False):
                request.setHeader(b"content-type", b"application/json")
                request.write(json.dumps({"gateway_status": code}).encode() + b"\n")
                request.finish()

        d.addCallback(write)
        return NOT_DONE_YET


def sample_png() -> MediaItem:
    """A small generated picture for ``/control/deliver?image=1``."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "PNG")
    return MediaItem("image/png", out.getvalue(), "sim.png")

