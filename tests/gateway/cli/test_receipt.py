"""``carrier-gateway receipt``: JSON lines in, JSON lines out."""
from __future__ import annotations

import io
import json
import subprocess
import sys

from gateway.cli.main import main


def run_lines(monkeypatch, capsys, lines, *argv):
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code = main(["receipt", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


KANNEL = ("id:0911897980 sub:001 dlvrd:000 submit date:1201121551 done date:1201121551 "
          "stat:UNDELIV err:027 text:-PROFILE")


def test_exact_output_shape(monkeypatch, capsys):
    code, out, _ = run_lines(monkeypatch, capsys, [json.dumps({"short_message": KANNEL, "esm_class": 4})])
    assert code == 0
    (result,) = out
    assert {k: result[k] for k in ("is_receipt", "message_id", "stat", "err", "status", "error_code")} == {
        "is_receipt": True, "message_id": "0911897980", "stat": "UNDELIV", "err": "027",
        "status": "undelivered", "error_code": 30003}


def test_tlvs_hex_and_bad_lines_keep_going(monkeypatch, capsys):
    lines = [
        json.dumps({"short_message": "hello", "esm_class": 0}),
        "not json",
        json.dumps({"short_message_hex": (KANNEL.replace("UNDELIV", "DELIVRD") + "\0\0").encode().hex(),
                    "short_message": "ignored", "esm_class": 4}),
        json.dumps({"esm_class": 4, "tlvs": {"receipted_message_id": "ab12", "message_state": 8}}),
        json.dumps({"esm_class": 4, "short_message": "stat:DELIVRD"}),
        json.dumps({"esm_class": 4, "data_coding": 8, "short_message": "id:1 stat:EXPIRED err:0",
                    "tlvs": {"network_error_code": "030015"}}),
        json.dumps({"esm_class": "four"}),
        "",
        json.dumps({"esm_class": 0x20, "tlvs": {"receipted_message_id": "9", "message_payload": "stat:ENROUTE"}}),
    ]
    code, out, _ = run_lines(monkeypatch, capsys, lines)
    assert code == 0
    assert out[0] == {"is_receipt": False, "message_id": None, "stat": None, "err": None,
                      "status": None, "error_code": None}
    assert out[1]["line"] == 2 and "error" in out[1]
    assert (out[2]["status"], out[2]["error_code"]) == ("delivered", None)
    assert (out[3]["message_id"], out[3]["stat"], out[3]["status"], out[3]["error_code"]) == \
        ("ab12", "REJECTD", "failed", 30004)
    assert "message id" in out[4]["error"]
    assert (out[5]["status"], out[5]["error_code"]) == ("failed", 30006)  # UCS-2 text, MAP cause 21
    assert out[6]["line"] == 7
    assert (out[7]["kind"], out[7]["status"]) == ("intermediate", "sent")
    assert len(out) == 8


def test_carrier_override_from_config(monkeypatch, capsys, tmp_path):
    config = tmp_path / "gateway.toml"
    config.write_text("""
[[carriers]]
name = "acme"
protocol = "smpp"
[carriers.receipts]
failed_undelivered_swap = true
[carriers.receipts.err]
"0A2" = 30007
[carriers.receipts.stat]
FAILED = "undelivered"
""")
    lines = [json.dumps({"esm_class": 4, "short_message": "id:1 stat:UNDELIV err:a2"}),
             json.dumps({"esm_class": 4, "short_message": "id:2 stat:FAILED err:0"})]
    code, out, _ = run_lines(monkeypatch, capsys, lines, "--config", str(config), "--carrier", "acme")
    assert code == 0
    assert (out[0]["status"], out[0]["error_code"]) == ("failed", 30007)
    assert (out[1]["status"], out[1]["error_code"]) == ("failed", 30008)


def test_config_profiles_file_is_read_like_the_daemon(monkeypatch, capsys, tmp_path):
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.strict]\n[profiles.strict.stat]\nDELETED = "undelivered"\n')
    config = tmp_path / "gateway.toml"
    config.write_text(f"""
[receipts]
profiles = "{profiles}"
[[carriers]]
name = "acme"
[carriers.receipts]
profile = "strict"
""")
    lines = [json.dumps({"esm_class": 4, "short_message": "id:1 stat:DELETED err:0"}),
             json.dumps({"esm_class": 4, "tlvs": {"receipted_message_id": "1", "message_state": 258}})]
    code, out, _ = run_lines(monkeypatch, capsys, lines, "--config", str(config), "--carrier", "acme")
    assert code == 0
    assert (out[0]["status"], out[0]["error_code"], out[0]["profile"]) == ("undelivered", 30008, "strict")
    assert "message_state" in out[1]["error"] and out[1]["line"] == 2


def test_bad_arguments_exit_2(monkeypatch, capsys, tmp_path):
    code, _, err = run_lines(monkeypatch, capsys, [], "--carrier", "acme")
    assert code == 2 and "--config" in err
    config = tmp_path / "g.toml"
    config.write_text('[[carriers]]\nname = "x"\n[carriers.receipts]\nstat = { DELIVRD = "great" }\n')
    code, _, err = run_lines(monkeypatch, capsys, [], "--config", str(config), "--carrier", "x")
    assert code == 2 and "great" in err
    code, _, err = run_lines(monkeypatch, capsys, [], "--config", str(config), "--carrier", "nope")
    assert code == 2 and "nope" in err
    code, _, err = run_lines(monkeypatch, capsys, [], "--config", str(config), "--carrier", "x",
                             "--profile", "swapped")
    assert code == 2 and "--profile" in err


def test_console_script_end_to_end():
    line = json.dumps({"short_message": KANNEL, "esm_class": 4}) + "\n"
    result = subprocess.run([sys.executable, "-m", "gateway", "receipt"], input=line,
                            capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout)["error_code"] == 30003


def test_receipt_text_is_shown_in_the_carriers_default_alphabet(monkeypatch, capsys, tmp_path):
    line = json.dumps({"esm_class": 4, "short_message_hex": b"id:1 stat:DELIVRD text:a@b \x1b(".hex()})
    config = tmp_path / "gateway.toml"
    config.write_text('[[carriers]]\nname = "lat"\nprotocol = "smpp"\nhost = "h"\nport = 1\n'
                      'system_id = "x"\npassword = "y"\ndefault_alphabet = "latin1"\n')
    _, (shown,), _ = run_lines(monkeypatch, capsys, [line])
    assert shown["text"] == "a\u00a1b {"  # gsm7, the default
    _, (shown,), _ = run_lines(monkeypatch, capsys, [line], "--default-alphabet", "ascii")
    assert shown["text"] == "a@b \x1b("
    _, (shown,), _ = run_lines(monkeypatch, capsys, [line], "--config", str(config), "--carrier", "lat")
    assert shown["text"] == "a@b \x1b("
    assert shown["status"] == "delivered"
