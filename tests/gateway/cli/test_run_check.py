"""``carrier-gateway run --check``: a valid config that would do nothing
useful (no account, no carrier) passes, but not silently."""
from __future__ import annotations

from gateway.cli.main import main

ACCOUNT = '[[accounts]]\nsid = "AC1"\nauth_token = "one"\n'
CARRIER = '[[carriers]]\nname = "c"\nhost = "127.0.0.1"\nport = 9\nsystem_id = "s"\nroutes = ["+"]\n'


def _check(tmp_path, capsys, text: str):
    conf = tmp_path / "gw.toml"
    conf.write_text(text)
    code = main(["run", "--config", str(conf), "--check"])
    out = capsys.readouterr()
    return code, out.out, out.err, str(conf)


def test_empty_config_warns_about_accounts_and_carriers(tmp_path, capsys):
    code, out, err, conf = _check(tmp_path, capsys, "")
    assert code == 0 and "OK (0 accounts" in out
    assert f"warning: {conf}: no [[accounts]] configured: the API will refuse every request" in err
    assert f"warning: {conf}: no [[carriers]] configured" in err


def test_no_carrier_warns_once(tmp_path, capsys):
    code, _out, err, _ = _check(tmp_path, capsys, ACCOUNT)
    assert code == 0 and err.count("warning:") == 1 and "[[carriers]]" in err


def test_complete_config_checks_silently(tmp_path, capsys):
    code, out, err, _ = _check(tmp_path, capsys, ACCOUNT + CARRIER)
    assert code == 0 and "OK (1 accounts" in out and err == ""
