"""``X-Twilio-Signature`` (gateway.callbacks.signature) as the twilio SDK's
``RequestValidator`` checks it, and on the wire from the callback sender."""
from __future__ import annotations

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.web.http_headers import Headers

from gateway.common import weburl
from gateway.callbacks.request import send
from gateway.callbacks.signature import signature

validator_module = pytest.importorskip("twilio.request_validator",
                                       reason="the twilio SDK is a test dependency")
RequestValidator = validator_module.RequestValidator
TOKEN = "12345"


class Multi(dict):
    """A form with repeated names, as the validator reads one (``getall``)."""

    def __init__(self, pairs):
        super().__init__()
        self.pairs = list(pairs)
        for name, value in self.pairs:
            self.setdefault(name, value)

    def getall(self, name):
        return [v for n, v in self.pairs if n == name]


def test_twilios_documented_example():
    # The example of the twilio SDK's own validator tests.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    assert signature(TOKEN, url, params.items()) == b"RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert RequestValidator(TOKEN).validate(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_repeated_parameters_and_non_ascii_values_validate():
    pairs = [("MessageSid", "SM1"), ("Body", "Grüße ✓"), ("MediaUrl", "https://b/2"),
             ("MediaUrl", "https://a/1"), ("MediaType", "image/png"), ("MediaType", "image/png")]
    url = "https://hooks.example.com/status?x=1"
    sig = signature(TOKEN, url, pairs).decode()
    assert RequestValidator(TOKEN).validate(url, Multi(pairs), sig)
    assert not RequestValidator(TOKEN).validate(url, Multi(pairs[:-1] + [("MediaType", "x/y")]), sig)


def _sent_headers(method: str, url: str, params, token):
    """The request line and headers the sender writes, read back from its bytes
    (the callback agent takes the whole request as one buffer)."""
    seen = []

    class Recording:
        def request(self, url, data, keep):
            seen.append(data)
            return Deferred()

    d = send(Recording(), Clock(), weburl.parse(url), method, params, timeout=5,
             want_body=False, signing_token=token)
    d.cancel()
    d.addErrback(lambda _: None)
    head = seen[0].split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    verb, target, _ = head[0].split(b" ")
    headers = Headers()
    for line in head[1:]:
        name, value = line.split(b": ", 1)
        headers.addRawHeader(name, value)
    return verb, b"http://" + headers.getRawHeaders(b"host")[0] + target, headers


def test_the_sender_signs_a_post_with_its_form_and_a_get_with_its_query():
    params = [("MessageSid", "SM1"), ("MessageStatus", "sent"), ("Body", "ü")]
    _, uri, headers = _sent_headers("POST", "http://user:pw@127.0.0.1:8000/cb?a=1", params, TOKEN)
    sig = headers.getRawHeaders(b"x-twilio-signature")[0].decode()
    assert RequestValidator(TOKEN).validate("http://127.0.0.1:8000/cb?a=1", dict(params), sig)

    _, uri, headers = _sent_headers("GET", "http://127.0.0.1:8000/cb", params, TOKEN)
    sig = headers.getRawHeaders(b"x-twilio-signature")[0].decode()
    assert RequestValidator(TOKEN).validate(uri.decode(), {}, sig)

    _, _, headers = _sent_headers("POST", "http://127.0.0.1:8000/cb", params, None)
    assert not headers.hasHeader(b"x-twilio-signature")
