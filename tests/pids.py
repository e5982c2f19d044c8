"""Waiting for a process to exit without polling (Linux pidfd)."""
from __future__ import annotations

import os
import select


def wait_exit(pid: int, timeout: float = 30.0) -> bool:
    """True once process ``pid`` has exited (woken by its pidfd, no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)
