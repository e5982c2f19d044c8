"""The typed config: every key read, every error naming file, key and problem."""
from __future__ import annotations

import os
from dataclasses import FrozenInstanceError

import pytest

from gateway.config import model as config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CONF = os.path.join(ROOT, "conf", "gateway.toml")

SMPP = """
[[carriers]]
name = "a"
host = "127.0.0.1"
port = 2775
system_id = "gw"
password = "pw"
"""


def test_shipped_config_loads_with_every_section():
    cfg = config.load(CONF)
    assert cfg.api.listen == "127.0.0.1:8080"
    assert cfg.store.url.startswith("sqlite:")
    assert [c.name for c in cfg.carriers] == ["smsc-a", "smsc-b", "mmsc-a"]
    a = cfg.carrier("smsc-a")
    assert a.protocol == "smpp" and a.channel == "sms"
    assert a.smpp.bind == "transceiver" and a.smpp.binds == 2 and a.smpp.window == 10
    assert a.smpp.max_tps == 50 and a.smpp.registered_delivery == 1
    assert a.routes == ("+1",) and a.fallback == "smsc-b"
    mm7 = cfg.carrier("mmsc-a")
    assert mm7.channel == "mms" and mm7.mm7.mm7_version == "6.8.0"
    assert mm7.mm7.size_limits["toll_free"] == 537600
    assert cfg.numbers[0].sms_method == "POST"
    assert cfg.accounts[0].sid == "AC00000000000000000000000000000001"


def test_defaults_without_any_key():
    cfg = config.loads("")
    assert cfg.api.host == "127.0.0.1" and cfg.api.port == 8080
    assert cfg.carriers == () and cfg.accounts == ()
    assert cfg.pipeline.mid_send_policy == "at-least-once"
    assert cfg.store.writer == "thread"
    assert config.loads('[store]\nwriter = "process"').store.writer == "process"  # read as "thread"


def test_config_is_frozen_and_secrets_stay_out_of_repr():
    cfg = config.loads('[[accounts]]\nsid = "AC1"\nauth_token = "tok-SECRET"\n' + SMPP)
    text = repr(cfg)
    assert "tok-SECRET" not in text and "'pw'" not in text
    with pytest.raises(FrozenInstanceError):
        cfg.api = None  # type: ignore[misc]


def test_listen_ipv6_and_registered_delivery_int():
    cfg = config.loads('[api]\nlisten = "[::1]:0"\n' + SMPP + "registered_delivery = 17\n")
    assert (cfg.api.host, cfg.api.port) == ("::1", 0)
    assert cfg.carriers[0].smpp.registered_delivery == 17


@pytest.mark.parametrize("text, key, problem", [
    ('[api]\nlisten = "8080"', "api.listen", "host:port"),
    ('[api]\nlisten = "h:70000"', "api.listen", "0..65535"),
    ('[store]\nurl = "mysql://x"', "store.url", "sqlite"),
    ('[store]\nwriter = "fork"', "store.writer", "thread"),
    ("[[accounts]]\nsid = \"A\"", "accounts[0] 'A'.auth_token", "is required"),
    ('[[accounts]]\nsid = "A"\nauth_token = "t"\n[[accounts]]\nsid = "A"\nauth_token = "u"',
     "accounts[1] 'A'.sid", "duplicate"),
    ('[[numbers]]\nnumber = "5551234x"\naccount = "A"', "numbers[0].number", "E.164"),
    ('[[accounts]]\nsid = "A"\nauth_token = "t"\n[[numbers]]\nnumber = "+15551234567"\naccount = "A"\n'
     'sms_method = "PUT"', "numbers[0] '+15551234567'.sms_method", "GET or POST"),
    (SMPP + "window = 0", "carriers[0] 'a'.window", "at least 1"),
    (SMPP + 'window = "10"', "carriers[0] 'a'.window", "must be an integer"),
    (SMPP + 'bind = "tx"', "carriers[0] 'a'.bind", "one of"),
    (SMPP + 'routes = ["1"]', "carriers[0] 'a'.routes", "prefix"),
    (SMPP + 'fallback = "zzz"', "carriers[0] 'a'.fallback", "no [[carriers]]"),
    (SMPP + 'fallback = "a"', "carriers[0] 'a'.fallback", "itself"),
    (SMPP + "max_tps = -1", "carriers[0] 'a'.max_tps", "at least 0"),
    (SMPP.replace('"pw"', '"123456789"'), "carriers[0] 'a'.password", "at most 8"),
    (SMPP + "concat_ref_bits = 12", "carriers[0] 'a'.concat_ref_bits", "8 or 16"),
    (SMPP + 'national = ["xx"]', "carriers[0] 'a'.national", "unknown language"),
    (SMPP + 'default_alphabet = "utf8"', "carriers[0] 'a'.default_alphabet", "'gsm7', 'latin1', 'ascii'"),
    (SMPP + "default_alphabet = 1", "carriers[0] 'a'.default_alphabet", "must be a string"),
    (SMPP + "registered_delivery = 300", "carriers[0] 'a'.registered_delivery", "0..255"),
    (SMPP + "widnow = 3", "carriers[0] 'a'.widnow", "unknown key"),
    ('[[carriers]]\nname = "m"\nprotocol = "mm7"\nurl = "ftp://x"', "carriers[0] 'm'.url", "http"),
    ('[[carriers]]\nname = "m"\nprotocol = "mm7"\nurl = "http://x"\nmm7_version = "1"',
     "carriers[0] 'm'.mm7_version", "one of"),
    ('[[carriers]]\nname = "m"\nprotocol = "mm7"\nurl = "http://x"\n' + SMPP.replace('"a"', '"s"')
     + 'fallback = "m"', "carriers[1] 's'.fallback", "speaks mm7"),
    ('[[carriers]]\nname = "m"\nprotocol = "x25"', "carriers[0] 'm'.protocol", "one of"),
    ("[pipeline]\nmid_send_policy = \"maybe\"", "pipeline.mid_send_policy", "one of"),
    ("[callbacks]\ninitial_backoff = 10\nmax_backoff = 1", "callbacks.max_backoff", "initial_backoff"),
    ("[bogus]\nx = 1", "bogus", "unknown key"),
    ("[receipts]\nearly_window = -1", "receipts", "positive"),
    ("[receipts]\nearly_windw = 1", "receipts", "unknown"),
    (SMPP + '[carriers.receipts]\nstat = { DELIVRD = "maybe" }', "carriers[0] 'a'.receipts", "maybe"),
    (SMPP + '[carriers.receipts]\nprofile = "nope"', "carriers[0] 'a'.receipts", "not defined"),
    ("accounts = 3", "accounts", "array of tables"),
])
def test_errors_name_file_key_and_problem(text, key, problem):
    with pytest.raises(config.ConfigError) as info:
        config.loads(text, source="/etc/gw.toml")
    message = str(info.value)
    assert message.startswith(f"/etc/gw.toml: {key}: "), message
    assert problem in message


@pytest.mark.parametrize("line, alphabet", [("", "gsm7"), ('default_alphabet = "latin1"', "latin1"),
                                            ('default_alphabet = "ascii"', "ascii")])
def test_default_alphabet_per_carrier(line, alphabet):
    assert config.loads(SMPP + line).carriers[0].smpp.default_alphabet == alphabet


def test_toml_syntax_and_missing_file(tmp_path):
    bad = tmp_path / "gw.toml"
    bad.write_text("[api\n")
    with pytest.raises(config.ConfigError, match=r"gw\.toml: TOML syntax error"):
        config.load(str(bad))
    with pytest.raises(config.ConfigError, match=r"nope\.toml: cannot read"):
        config.load(str(tmp_path / "nope.toml"))


def test_receipts_override_table_is_kept_frozen():
    cfg = config.loads(SMPP + '[carriers.receipts]\nerr = { "001" = 30005 }\nfailed_undelivered_swap = true\n')
    receipts = cfg.carriers[0].receipts
    assert receipts["err"]["001"] == 30005 and receipts["failed_undelivered_swap"] is True
    with pytest.raises(TypeError):
        receipts["x"] = 1  # type: ignore[index]


def test_cluster_section_keys_and_defaults():
    import socket

    default = config.loads("")
    assert default.cluster.node_id == socket.gethostname()
    assert (default.cluster.heartbeat, default.cluster.lease_timeout) == (2.0, 10.0)
    set_ = config.loads('[cluster]\nnode_id = "gw-1"\nheartbeat = 1\nlease_timeout = 5\n')
    assert (set_.cluster.node_id, set_.cluster.heartbeat, set_.cluster.lease_timeout) == ("gw-1", 1, 5)
    with pytest.raises(config.ConfigError, match="lease_timeout"):
        config.loads("[cluster]\nheartbeat = 5\nlease_timeout = 5\n")
    with pytest.raises(config.ConfigError, match="node_id"):
        config.loads('[cluster]\nnode_id = ""\n')


ACCOUNT = '[[accounts]]\nsid = "AC1"\nauth_token = "tok"\n'


def test_credentials_in_urls_stay_out_of_repr_and_error_text():
    cfg = config.loads('[[carriers]]\nname = "m"\nprotocol = "mm7"\n'
                       'url = "https://vasp-user:mm7-SECRET@mmsc.example.net/mm7"\n')
    assert "mm7-SECRET" not in repr(cfg) and "vasp-user" not in repr(cfg)
    with pytest.raises(config.ConfigError) as caught:
        config.loads(ACCOUNT + '[[numbers]]\nnumber = "+15550100"\naccount = "AC1"\nsms_url = "ftp://hook:hook-SECRET@example.com/in"\n')
    assert "hook-SECRET" not in str(caught.value) and "example.com" in str(caught.value)
    with pytest.raises(config.ConfigError) as caught:
        config.loads(ACCOUNT + '[[numbers]]\nnumber = "+15550100"\naccount = "AC1"\nsms_url = "http://hook:hook-SECRET@[::1/in"\n')
    assert "hook-SECRET" not in str(caught.value)


def test_store_memory_keys():
    assert (config.loads("").store.cache_mb, config.loads("").store.mmap_mb) == (32, 64)
    store = config.loads("[store]\ncache_mb = 8\nmmap_mb = 0").store
    assert (store.cache_mb, store.mmap_mb) == (8, 0)
    for text, key in (("cache_mb = 0", "store.cache_mb"), ("mmap_mb = -1", "store.mmap_mb"),
                      ('cache_mb = "32"', "store.cache_mb")):
        with pytest.raises(config.ConfigError, match=key.replace(".", r"\.")):
            config.loads("[store]\n" + text)
