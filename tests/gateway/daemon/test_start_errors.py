"""Why the daemon could not start, as one line naming the fix."""
from __future__ import annotations

import errno
import socket

from sqlalchemy.exc import OperationalError
from twisted.internet.error import CannotListenError

from gateway.config import model as config
from gateway.daemon.start_errors import explain


def _busy(host, port):
    return CannotListenError(host, port, socket.error(errno.EADDRINUSE, "Address already in use"))


def test_busy_port_names_listen_and_the_config_key():
    line = explain(_busy("127.0.0.1", 8080), config.Config(), "/etc/gw.toml")
    assert line == ("cannot listen on 127.0.0.1:8080: Address already in use; stop whatever holds it, "
                    "or choose another address with --listen HOST:PORT (or [api] listen in /etc/gw.toml)")


def test_busy_port_in_the_demo_and_on_ipv6():
    line = explain(_busy("::1", 8080), None, None)
    assert line.startswith("cannot listen on [::1]:8080: ") and line.endswith("--listen HOST:PORT")


def test_store_errors_hide_the_password():
    cfg = config.loads('[store]\nurl = "postgresql+psycopg://gw:s3cret@db.example:5432/gw"\n')
    error = OperationalError("connect", {}, Exception("connection refused"))
    line = explain(error, cfg, "gw.toml")
    assert "s3cret" not in line and "db.example:5432" in line and "[store] url" in line
    assert "connection refused" in line


def test_unknown_failures_are_left_to_the_traceback():
    assert explain(RuntimeError("bug"), config.Config(), None) is None


def test_a_refused_cluster_node_is_one_line():
    from gateway.cluster.nodes import NodeRefused
    from gateway.daemon.start_errors import explain

    line = explain(NodeRefused("SQLite allows one live node"), None, None)
    assert line == "this node may not join the cluster: SQLite allows one live node"
