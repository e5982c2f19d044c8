"""Why the daemon could not start, as one line that names the fix.

Rules: :func:`explain` knows the failures an operator can fix (the API
address is taken or not ours, the store cannot be opened) and answers with
one line naming what to change; for anything else it answers ``None`` and
the caller logs the traceback, which is what a bug report needs.  Never a
password: store URLs are shown with the password hidden.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.error import CannotListenError


def explain(error: BaseException, config: Any, config_path: str | None) -> str | None:
    if isinstance(error, CannotListenError):
        return _listen(error, config_path)
    from gateway.cluster.nodes import NodeRefused

    if isinstance(error, NodeRefused):
        return f"this node may not join the cluster: {error}"
    return _store(error, config)


def _listen(error: CannotListenError, config_path: str | None) -> str:
    host = error.interface or "0.0.0.0"
    where = f"[{host}]:{error.port}" if ":" in host else f"{host}:{error.port}"
    cause = getattr(error.socketError, "strerror", None) or str(error.socketError)
    fix = "choose another address with --listen HOST:PORT"
    if config_path:
        fix += f" (or [api] listen in {config_path})"
    return f"cannot listen on {where}: {cause}; stop whatever holds it, or {fix}"


def _store(error: BaseException, config: Any) -> str | None:
    from sqlalchemy.exc import SQLAlchemyError

    if config is None or not isinstance(error, (SQLAlchemyError, OSError)):
        return None
    detail = " ".join(str(getattr(error, "orig", None) or error).split())
    return (f"cannot open the store {safe_url(config.store.url)}: {detail}; "
            "check [store] url, that the database is reachable, and its permissions")


def safe_url(url: str) -> str:
    """A store URL fit for a log line: the password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
