"""The demo (`carrier-gateway run` without a config) as a user tries MMS: the
banner's MMS curl reaches `delivered` through the bundled MMSC simulator, and
an inbound MMS asked of the simulator shows up with its media served back."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
import urllib.request

from ..e2e.test_run_command import ROOT, _request


def _get(url, auth=None):
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("content-type"), response.read()


def _until(fetch, ok, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value):
            return value
        assert time.monotonic() < deadline, value
        time.sleep(0.1)


def test_demo_mms_both_ways(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "run", "--listen", "127.0.0.1:0",
                             "--data-dir", str(tmp_path / "var")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while not any("Stop with Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        banner = "".join(lines)
        auth = re.search(r"-u '(AC[0-9a-f]{32}:[0-9a-f]{32})'", banner).group(1)
        api = re.search(r"'(http://127\.0\.0\.1:\d+/api/2012-04-24/Accounts/AC[0-9a-f]+)/Messages\.json'",
                        banner).group(1)
        mmsc = re.search(r"MMSC simulator (http://127\.0\.0\.1:\d+)/mm7", banner).group(1)
        media_list = re.search(r"--data-urlencode 'media_list=(\[.*\])'", banner).group(1)
        message = _request(api + "/Messages.json", auth, {
            "from": "mms:+15005550006", "to": "mms:+15005551234", "body": "A picture",
            "media_list": media_list})
        done = _until(lambda: _request(f"{api}/Messages/{message['sid']}.json", auth),
                      lambda m: m["status"] in ("delivered", "undelivered", "failed"))
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
        proc.terminate()
        proc.wait(timeout=30)
