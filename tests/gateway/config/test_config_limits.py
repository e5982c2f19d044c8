"""[api] header/body deadlines and connection caps: read, checked, and
turned into the listener's limits."""
from __future__ import annotations

import pytest

from gateway.config import model as config
from gateway.daemon.parts import connection_limits


def test_api_limit_keys_are_read():
    cfg = config.loads('[api]\nheader_timeout = 3\nbody_timeout = 7.5\n'
                       'max_connections_per_ip = 9\nmax_connections = 90\n')
    limits = connection_limits(cfg.api)
    assert (limits.header_timeout, limits.body_timeout) == (3.0, 7.5)
    assert (limits.max_connections_per_ip, limits.max_connections) == (9, 90)


def test_max_connections_defaults_under_the_open_file_limit():
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    cap = connection_limits(config.loads("").api).max_connections
    assert 1 <= cap <= 4096
    if soft != resource.RLIM_INFINITY:
        assert cap <= soft * 3 // 4


@pytest.mark.parametrize("line, problem", [
    ("header_timeout = 0", "api.header_timeout: must be greater than 0"),
    ("body_timeout = \"x\"", "api.body_timeout: must be a number"),
    ("max_connections_per_ip = 0", "api.max_connections_per_ip: must be at least 1"),
    ("max_connections = 1.5", "api.max_connections: must be an integer"),
])
def test_bad_limits_name_the_key(line, problem):
    with pytest.raises(config.ConfigError, match=problem):
        config.loads(f"[api]\n{line}\n")
