"""CPU and memory meters for the benchmarks (Linux /proc): a process's or a
thread's CPU, this process's threads by name, a process's resident memory,
a run's PostgreSQL backends, and the interpreter the figures were taken on."""
from __future__ import annotations

import os
import platform
import sys


def interpreter() -> str:
    """This interpreter's path and version: the figures depend on its build (README, "Benchmarks")."""
    return f"{sys.executable} {platform.python_version()}"


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU of a process (or one of its threads) so far (Linux /proc)."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        with open(path) as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's threads, by thread name."""
    import threading

    out: dict[str, float] = {}
    for thread in threading.enumerate():
        name = "reactor" if thread is threading.main_thread() else thread.name.split("-")[0:2]
        if isinstance(name, list):
            name = "-".join(name)
        if thread.native_id is not None:
            out[name] = out.get(name, 0.0) + cpu_seconds(os.getpid(), thread.native_id)
    return out


def rss_mb(pid: int, field: str = "VmRSS:") -> float:
    """Resident MB; ``field="RssAnon:"`` leaves out file pages (SQLite's
    memory-mapped database is counted in VmRSS but is the page cache)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


class PostgresBackends:
    """CPU of the PostgreSQL backends serving this run's gateway only (found
    by their application_name, sampled each second), so other clients of
    the same server do not count."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        scoped = make_url(url)
        self.app = scoped.query["application_name"]
        self.engine = create_engine(scoped.difference_update_query(["options", "application_name"]))
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def sample(self) -> None:
        with self.engine.connect() as conn:
            pids = [r[0] for r in conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %(app)s",
                {"app": self.app})]
        for pid in pids:
            cpu = cpu_seconds(pid)
            self.first.setdefault(pid, cpu if not self.last else 0.0)
            if cpu:
                self.last[pid] = cpu

    def cpu(self) -> float:
        self.sample()
        return sum(self.last.get(pid, start) - start for pid, start in self.first.items())


def postgres_backends(url: str):
    """CPU of this run's PostgreSQL backends (None on SQLite): the server's
    share of the work, which the gateway's own CPU figures leave out."""
    if url.startswith("sqlite"):
        return None
    return PostgresBackends(url)
