"""The receipt profiles shipped in conf/receipts/ (and installed with the
package): each one's reading of its SMSC's receipts, where they are found,
and how a carrier and the receipt command select one."""
from __future__ import annotations

import io
import json
import pathlib
import sys
import tomllib

import pytest

from gateway.cli.main import main
from gateway.config.model import loads
from gateway.daemon.parts import receipt_profiles
from gateway.sms.receipts.profiles import path_tables, shipped_tables
from gateway.sms.receipts.profiles import read as read_profiles
from gateway.sms.receipts.translator import DEFAULT_PROFILE, ProfileError, translate
from protocols.smpp.receipt import parse_receipt

ROOT = pathlib.Path(__file__).resolve().parents[4]
CONF = ROOT / "conf" / "receipts"
PACKAGE = ROOT / "gateway" / "sms" / "receipts" / "profiles"
SHIPPED = {"default", "map-hex", "swapped", "restcomm", "smppsim", "jasmin", "kannel", "npm-smpp"}


def outcome(profile: str, text: bytes, **tlvs):
    receipt = parse_receipt(esm_class=0x04, short_message=text, tlvs=tlvs)
    result = translate(receipt, read_profiles()[profile])
    return result.status, result.error_code


def test_every_conf_file_is_package_data_and_documents_its_source():
    conf = {p.name for p in CONF.glob("*.toml")}
    package = {p.name for p in PACKAGE.glob("*.toml")}
    assert conf == package and {n[:-5] for n in conf} >= SHIPPED
    for name in conf:
        link = PACKAGE / name
        assert link.resolve() == (CONF / name).resolve()  # one file, two ways in
        table = tomllib.loads((CONF / name).read_text())
        assert table["source"] and table["description"]
        assert "Source:" in (CONF / name).read_text()
    assert set(shipped_tables()) == {n[:-5] for n in conf}


def test_shipped_default_is_the_built_in_default():
    assert read_profiles()["default"] == DEFAULT_PROFILE


@pytest.mark.parametrize("text, expected", [
    (b"id:1 stat:UNDELIV err:004", ("undelivered", 30004)),  # TELESERVICE_NOT_PROVISIONED
    (b"id:1 stat:UNDELIV err:005", ("undelivered", 30004)),  # CALL_BARRED (MAP 5 would be 30005)
    (b"id:1 stat:UNDELIV err:008", ("undelivered", 30003)),  # ABSENT_SUBSCRIBER
    (b"id:1 stat:UNDELIV err:009", ("undelivered", 30003)),  # ABSENT_SUBSCRIBER_MWDSET (MAP 9: 30005)
    (b"id:1 stat:UNDELIV err:001", ("undelivered", 30005)),
    (b"id:1 stat:UNDELIV err:027", ("undelivered", 30008)),  # no such smscgateway code: not MAP 27
    (b"id:1 stat:DELIVRD err:000", ("delivered", None)),
])
def test_restcomm_profile(text, expected):
    assert outcome("restcomm", text, network_error_code=b"\x03") == expected


@pytest.mark.parametrize("text, expected", [
    (b"id:1 stat:UNDELIV err:901", ("undelivered", 30008)),
    (b"id:1 stat:REJECTD err:902", ("failed", 30004)),
    (b"id:1 stat:EXPIRED err:903", ("failed", 30003)),
    (b"id:1 stat:DELETED err:904", ("failed", 30008)),
    (b"id:1 stat:ACCEPTD err:002", ("delivered", None)),  # final in SMPPSim
])
def test_smppsim_profile(text, expected):
    assert outcome("smppsim", text) == expected


@pytest.mark.parametrize("text, expected", [
    (b"id:1 stat:UNKNOWN err:47", ("failed", 30008)),
    (b"id:1 stat:REJECTD err:53", ("failed", 30005)),
    (b"id:1 stat:REJECTD err:57", ("failed", 30007)),
    (b"id:1 stat:REJECTD err:60", ("failed", 30004)),
    (b"id:1 stat:ACCEPTD err:68", ("sent", None)),
    (b"id:1 stat:EXPIRED err:88", ("failed", 30003)),
])
def test_npm_smpp_profile(text, expected):
    assert outcome("npm-smpp", text) == expected


@pytest.mark.parametrize("profile", ["jasmin", "kannel"])
def test_pass_through_profiles_read_err_as_the_default_does(profile):
    for err in ("000", "001", "027", "013", "0x1", "999"):
        text = b"id:1 stat:UNDELIV err:%s" % err.encode()
        assert outcome(profile, text) == outcome("default", text)


def test_operator_directory_adds_and_replaces_profiles(tmp_path):
    (tmp_path / "acme.toml").write_text('extends = "restcomm"\n[err]\n"004" = 30007\n')
    (tmp_path / "swapped.toml").write_text("failed_undelivered_swap = false\n")
    profiles = read_profiles(tmp_path)
    assert profiles["acme"].err["4"] == 30007 and profiles["acme"].err["8"] == 30003
    assert not profiles["swapped"].failed_undelivered_swap
    assert profiles["restcomm"] == read_profiles()["restcomm"]
    single = tmp_path / "solo.toml"
    single.write_text("[err]\n\"77\" = 30006\n")
    assert path_tables(single) == {"solo": {"err": {"77": 30006}}}
    assert read_profiles(single)["solo"].err["77"] == 30006
    with pytest.raises(ProfileError, match="missing"):
        read_profiles(tmp_path / "missing")


def config_text(profile: str) -> str:
    return f"""
[[carriers]]
name = "rc"
protocol = "smpp"
host = "127.0.0.1"
port = 2775
system_id = "x"
password = "y"
[carriers.receipts]
profile = "{profile}"
"""


def test_carrier_selects_a_shipped_profile():
    profile = receipt_profiles(loads(config_text("restcomm")))["rc"]
    assert profile.name == "restcomm" and profile.err["4"] == 30004
    with pytest.raises(Exception, match="no-such-profile"):
        loads(config_text("no-such-profile"))


def test_receipt_command_profile_option(monkeypatch, capsys):
    line = json.dumps({"esm_class": 4, "short_message": "id:7 stat:UNDELIV err:004"})
    monkeypatch.setattr(sys, "stdin", io.StringIO(line + "\n"))
    assert main(["receipt", "--profile", "restcomm"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["profile"], result["status"], result["error_code"]) == ("restcomm", "undelivered", 30004)
