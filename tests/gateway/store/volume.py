"""A real small volume for store-fault tests: a tmpfs mounted for the test
(it needs root, as in CI; the test is skipped, saying why, where mount is
not permitted).  ``fill()`` takes every free byte with a filler file,
``free()`` gives it back."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile

import pytest

CHUNK = 64 * 1024


class Volume:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fillers: list[str] = []

    def fill(self) -> int:
        """Write a filler file until the volume is full; returns its size."""
        name = os.path.join(self.path, f"filler-{len(self._fillers)}")
        self._fillers.append(name)
        written = 0
        with open(name, "wb", buffering=0) as f:
            for size in (CHUNK, 4096, 512, 1):
                block = b"\0" * size
                while True:
                    try:
                        written += f.write(block)
                    except OSError:
                        break
        return written

    def free(self) -> None:
        while self._fillers:
            os.unlink(self._fillers.pop())

    def usage(self) -> dict[str, int]:
        return {name: os.path.getsize(os.path.join(self.path, name)) for name in os.listdir(self.path)}


@contextlib.contextmanager
def tiny_volume(size: str = "4m"):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root (the disk-full tests run as root in CI)")
    path = tempfile.mkdtemp(prefix="gw-volume-")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                            capture_output=True, text=True)
    if result.returncode != 0:
        os.rmdir(path)
        pytest.skip(f"mounting a small tmpfs is not permitted here: {result.stderr.strip()}")
    try:
        yield Volume(path)
    finally:
        subprocess.run(["umount", "-l", path], check=False)
        os.rmdir(path)
