"""The ``signalwire`` SDK (2.1.1, on its pinned twilio 6.54) as shipped,
driving a live gateway: ``python sdk_signalwire_client.py BASE SID TOKEN``
prints ``ok`` or fails with an assertion.  Run by test_sdk_signalwire.py
with an interpreter where ``signalwire`` is installed (it pins twilio 6.54,
which cannot sit beside the suite's twilio 9)."""
import sys
import threading

from signalwire.rest import Client
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient

SPACE = "https://gateway.invalid"
FROM, TO = "+15005550006", "+15005558"
FINAL = {"delivered", "undelivered", "failed"}


class Gateway(TwilioHttpClient):
    def __init__(self, base):
        super().__init__()
        self.gateway_base = base

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace(SPACE, self.gateway_base, 1), *args, **kwargs)


def final(client, sid):
    wait = threading.Event()
    for _ in range(120):  # at most 60 s: the demo's receipts come after 0.5 s
        message = client.messages(sid).fetch()
        if message.status in FINAL:
            return message
        wait.wait(0.5)
    raise AssertionError(f"{sid} is still {message.status}")


def main(base, sid, token):
    # As with a SignalWire space: the SDK requests /2010-04-01/Accounts/... on it.
    client = Client(sid, token, signalwire_space_url="gateway.invalid", http_client=Gateway(base))
    body = "Grüße ✓ 😀"
    sms = client.messages.create(to=TO + "001", from_=FROM, body=body)
    assert (sms.body, sms.to, sms.from_, sms.status) == (body, TO + "001", FROM, "queued")
    mms = client.messages.create(to=TO + "002", from_=FROM, body="Bild ü",
                                 media_url=[base + "/demo/picture.png"])
    assert mms.num_media == "1"
    for i in range(3):
        client.messages.create(to=TO + "003", from_=FROM, body=f"page {i}")
    page = client.messages.page(to=TO + "003", page_size=2)
    seen = [m.sid for m in page]
    page = page.next_page()
    seen += [m.sid for m in page]
    assert len(set(seen)) == 3 and page.next_page() is None
    assert final(client, sms.sid).body == body
    assert final(client, mms.sid).status == "delivered"
    assert len(client.messages(mms.sid).media.list()) == 1
    assert client.messages(sms.sid).update(body="").body == ""
    assert client.messages(sms.sid).delete() is True
    try:
        client.messages(sms.sid).fetch()
    except TwilioRestException as exc:
        assert exc.status == 404
    else:
        raise AssertionError("a deleted message was found")
    print("ok")


if __name__ == "__main__":
    main(*sys.argv[1:4])
