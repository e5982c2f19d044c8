"""CPU meters for the benchmarks (Linux /proc): a process's or a thread's,
this process's threads by name, and a run's PostgreSQL backends."""
from __future__ import annotations

import os


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


def postgres_backends(url: str):
    """CPU of this run's PostgreSQL backends (None on SQLite): the server's
    share of the work, which the gateway's own CPU figures leave out."""
    if url.startswith("sqlite"):
        return None
    from bench_real import PostgresBackends

    return PostgresBackends(url)
