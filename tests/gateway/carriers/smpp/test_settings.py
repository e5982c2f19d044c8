import pytest
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.testing import MemoryReactorClock

from gateway.carriers.smpp.endpoints import endpoint_factory
from gateway.carriers.smpp.settings import BindSettings, coerce
from gateway.carriers.smpp.stats import LatencyHistogram


def test_coerce_takes_the_daemon_config_as_is():
    from gateway.config.model import SmppSettings

    daemon = SmppSettings(host="smsc.example", port=2776, system_id="acme", password="pw",
                          bind="transmitter+receiver", binds=3, window=50, max_tps=200.0)
    settings = coerce(daemon)
    assert settings is daemon and isinstance(daemon, BindSettings)  # one type, no copying
    assert (settings.host, settings.port, settings.binds, settings.window) == ("smsc.example", 2776, 3, 50)
    assert settings.connection_kinds == ("transmitter", "receiver")
    assert settings.max_tps == 200.0 and settings.queue_full_retry_for == 120.0  # ours keep their defaults
    assert "pw" not in repr(settings)


def test_coerce_refuses_look_alike_objects():
    class LookAlike:
        host, port, window = "h", 1, 5

    with pytest.raises(TypeError, match="BindSettings or a mapping"):
        coerce(LookAlike())


def test_daemon_config_and_bind_settings_share_the_retry_budget_defaults():
    from gateway.config import model as config

    daemon = config.loads('[[carriers]]\nname = "a"\nhost = "h"\nport = 1\nsystem_id = "s"\n'
                          ).carriers[0].smpp
    ours = BindSettings()
    for name in ("queue_full_retry_for", "queue_full_max_retries", "throttle_retry_for",
                 "throttle_max_retries"):
        assert getattr(daemon, name) == getattr(ours, name), name
        assert getattr(coerce(daemon), name) == getattr(ours, name)
    tuned = config.loads('[[carriers]]\nname = "a"\nhost = "h"\nport = 1\nsystem_id = "s"\n'
                         'queue_full_retry_for = 600\nthrottle_max_retries = 50\n').carriers[0].smpp
    assert (coerce(tuned).queue_full_retry_for, coerce(tuned).throttle_max_retries) == (600.0, 50)
    with pytest.raises(config.ConfigError, match="queue_full_retry_for"):
        config.loads('[[carriers]]\nname = "a"\nhost = "h"\nport = 1\nsystem_id = "s"\n'
                     'queue_full_retry_for = 0\n')


def test_coerce_mapping_and_short_bind_names():
    settings = coerce({"bind": "trx", "window": 7, "unknown": 1})
    assert settings.bind == "transceiver" and settings.window == 7
    with pytest.raises(ValueError, match="bind must be one of"):
        BindSettings(bind="sideways")
    with pytest.raises(ValueError, match="window"):
        BindSettings(window=0)


def test_endpoint_factory_plain_and_tls():
    reactor = MemoryReactorClock()
    factory = endpoint_factory(reactor)
    assert isinstance(factory(BindSettings()), HostnameEndpoint)
    tls = factory(BindSettings(tls=True, host="smsc.example"))
    assert not isinstance(tls, HostnameEndpoint)  # wrapped: TLS over the TCP endpoint


def test_latency_histogram():
    histogram = LatencyHistogram()
    for seconds in (0.0005, 0.002, 0.002, 0.2, 20.0):
        histogram.observe(seconds)
    buckets = dict(histogram.cumulative())
    assert buckets["0.001"] == 1 and buckets["0.0025"] == 3 and buckets["0.25"] == 4
    assert buckets["+Inf"] == 5 == histogram.count
    assert histogram.quantile(0.5) == 0.0025
    assert histogram.quantile(1.0) == float("inf")
