"""The demo (`carrier-gateway run` without a config) as a user tries MMS: the
banner's MMS curl reaches `delivered` through the bundled MMSC simulator, and
an inbound MMS asked of the simulator shows up with its media served back."""
from __future__ import annotations

import base64
import json
import re
import urllib.request

from tests.gateway.e2e.processes import CallbackServer, Process
from tests.gateway.e2e.test_run_command import _request


def _get(url, auth=None):
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("content-type"), response.read()


def test_demo_mms_both_ways(tmp_path):
    callbacks = CallbackServer()
    proc = Process("run", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "var"))
    try:
        banner = proc.banner()
        auth = re.search(r"-u '(AC[0-9a-f]{32}:[0-9a-f]{32})'", banner).group(1)
        api = re.search(r"'(http://127\.0\.0\.1:\d+/api/2012-04-24/Accounts/AC[0-9a-f]+)/Messages\.json'",
                        banner).group(1)
        mmsc = re.search(r"MMSC simulator (http://127\.0\.0\.1:\d+)/mm7", banner).group(1)
        media_list = re.search(r"--data-urlencode 'media_list=(\[.*\])'", banner).group(1)
        message = _request(api + "/Messages.json", auth, {
            "from": "mms:+15005550006", "to": "mms:+15005551234", "body": "A picture",
            "media_list": media_list, "status_callback": callbacks.url})
        callbacks.wait_status(message["sid"], ("delivered", "undelivered", "failed"))
        done = _request(f"{api}/Messages/{message['sid']}.json", auth)
        assert done["status"] == "delivered", done

        with urllib.request.urlopen(urllib.request.Request(
                f"{mmsc}/control/deliver?from=%2B15551230000&to=%2B15005550006&text=hi&image=1",
                method="POST"), timeout=10) as response:
            assert json.loads(response.read()) == {"gateway_status": 200}
        page = _request(api + "/Messages.json?To=mms%3A%2B15005550006", auth)
        (inbound,) = [m for m in page["messages"] if m["direction"] == "inbound"]
        assert (inbound["status"], inbound["body"], inbound["num_media"]) == ("received", "hi", "1")
        ctype, data = _get(inbound["media_list"][0]["url"], auth)
        assert ctype == "image/png" and data.startswith(b"\x89PNG")
    finally:
        proc.proc.terminate()
        proc.proc.wait(timeout=30)
        proc.stop()
        callbacks.close()
