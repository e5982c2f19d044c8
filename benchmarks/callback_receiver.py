"""``bench_real.py``'s fast callback receiver, and the watch on its counts.

The receiver runs in its own process (``bench_real.py --receive``): an
asyncio HTTP/1.1 keep-alive server on a free port that answers every
request 204, not ``http.server``.  It prints its port on the first line,
then every 0.25 s one JSON line of its counts: every status callback
(``callbacks``), the final ones (``final``: delivered, undelivered or
failed, in a POST body or a GET query), when the last final one came
(``last_final``, stamped as it is counted, so a run's end is not rounded to
the 0.25 s of the lines) and the time ``t``.  The
benchmark's process reads those lines with :class:`Watch`.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time

FINAL = (b"delivered", b"undelivered", b"failed")
_RESPONSE = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


class _Receiver(asyncio.Protocol):
    counts = {"callbacks": 0, "final": 0, "last_final": 0.0}

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            at = head.find(b"content-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at)
                length = int(head[at + 15:stop if stop >= 0 else len(head)])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            request = head[:head.find(b"\r\n")] + b"&" + self.buffer[end + 4:total]
            self.buffer = self.buffer[total:]
            self.counts["callbacks"] += 1
            at = request.find(b"MessageStatus=")  # a POST body
            if at < 0:
                at = request.find(b"messagestatus=")  # a GET query (the head is lowercased)
            if at >= 0 and request[at + 14:].startswith(FINAL):
                self.counts["final"] += 1
                self.counts["last_final"] = time.time()
            self.transport.write(_RESPONSE)


async def receive() -> None:
    """Serve until killed: the port first, then the counts every 0.25 s."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Receiver, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    while True:
        await asyncio.sleep(0.25)
        print(json.dumps({**_Receiver.counts, "t": time.time()}), flush=True)


class Watch:
    """Reads the receiver's count lines on a thread; the latest wins."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.latest = {"callbacks": 0, "final": 0, "t": time.time()}
        self.last_final_at = 0.0
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            counts = json.loads(line)
            self.last_final_at = counts["last_final"]
            self.latest = counts
