"""``carrier-gateway segments``: readable summary and the --json line protocol."""
import io
import json
import os
import subprocess
import sys
import threading

import pytest

from gateway.cli.main import main


class FakeStdin(io.TextIOWrapper):
    """A text stdin whose .buffer holds the given bytes."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data), encoding="utf-8")


def run_json(monkeypatch, capsys, lines: bytes, *options):
    monkeypatch.setattr(sys, "stdin", FakeStdin(lines))
    assert main(["segments", "--json", *options]) == 0
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def test_json_objects_have_exactly_the_documented_shape(monkeypatch, capsys):
    [obj] = run_json(monkeypatch, capsys, b'"Hello world"\n')
    assert obj == {
        "encoding": "GSM-7",
        "num_segments": 1,
        "parts": ["Hello world"],
        "national": {"locking": None, "single": None},
    }


def test_json_multi_part_and_ucs2(monkeypatch, capsys):
    lines = json.dumps("a" * 161).encode() + b"\n" + json.dumps("\U0001F600" * 40).encode() + b"\n"
    gsm, ucs = run_json(monkeypatch, capsys, lines)
    assert gsm["num_segments"] == 2 and gsm["parts"] == ["a" * 153, "a" * 8]
    assert ucs["encoding"] == "UCS-2" and ucs["num_segments"] == 2
    assert ucs["parts"] == ["\U0001F600" * 33, "\U0001F600" * 7]   # 66 + 14 units


def test_json_bad_lines_get_error_objects_and_processing_continues(monkeypatch, capsys):
    lines = b'"one"\n42\nnot json\n\xff\xfe\n\n"' + "\u00e7".encode() + b'"\n'
    out = run_json(monkeypatch, capsys, lines)
    assert len(out) == 6
    assert out[0]["parts"] == ["one"]
    assert [sorted(o) for o in out[1:5]] == [["error", "line"]] * 4
    assert [o["line"] for o in out[1:5]] == [2, 3, 4, 5]
    assert out[5]["encoding"] == "UCS-2" and out[5]["parts"] == ["\u00e7"]


def test_json_deeply_nested_line_is_an_error_line_too(monkeypatch, capsys):
    lines = b"[" * 100_000 + b"]" * 100_000 + b"\n" + b'"after"\n'
    nested, after = run_json(monkeypatch, capsys, lines)
    assert nested["line"] == 1 and "nested" in nested["error"]
    assert after["parts"] == ["after"]


def test_json_limit_errors_name_the_limit(monkeypatch, capsys):
    [obj] = run_json(monkeypatch, capsys, json.dumps("a" * 1601).encode() + b"\n")
    assert "1600" in obj["error"]


def test_json_national_and_concat_ref_options(monkeypatch, capsys):
    body = "\u0131" * 160
    tr, default16 = (
        run_json(monkeypatch, capsys, json.dumps(body).encode() + b"\n", "--national", "tr,es,pt")[0],
        run_json(monkeypatch, capsys, json.dumps("a" * 161).encode() + b"\n", "--concat-ref", "16")[0],
    )
    assert tr["encoding"] == "GSM-7" and tr["national"] == {"locking": "tr", "single": None}
    assert [len(p) for p in tr["parts"]] == [149, 11]
    assert [len(p) for p in default16["parts"]] == [152, 9]


def test_readable_summary(capsys):
    assert main(["segments", "a" * 150 + "{\U0001F600}"]) == 0
    out = capsys.readouterr().out
    assert "UCS-2" in out and "segments:  3" in out
    assert "U+1F600 GRINNING FACE" in out
    assert "part 1/3: 67 UTF-16 units" in out and "part 3/3: 20 UTF-16 units" in out


def test_readable_summary_gsm_with_national(capsys):
    assert main(["segments", "--national", "tr", "\u0130stanbul \u015fehir"]) == 0
    out = capsys.readouterr().out
    assert "GSM-7" in out and "locking tr" in out and "14 septets" in out


def test_usage_errors(capsys):
    assert main(["segments"]) == 2
    assert main(["segments", "--national", "xx", "hi"]) == 2
    assert "xx" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["segments", "--concat-ref", "12", "hi"])
    for bad in ("0", "-5", "x"):
        with pytest.raises(SystemExit):
            main(["segments", "--max-length", bad, "hi"])
    assert "--max-length" in capsys.readouterr().err


def test_max_length_option(capsys):
    assert main(["segments", "--max-length", "3", "abcd"]) == 1
    assert "limit is 3" in capsys.readouterr().err


def test_too_long_text_is_an_error_naming_the_limit(capsys):
    assert main(["segments", "a" * 1601]) == 1
    assert "1600" in capsys.readouterr().err


def test_console_script_answers_each_line_before_the_next_arrives():
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "segments", "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        # stdout to a pipe is block-buffered unless the command flushes each line
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    watchdog = threading.Timer(20, proc.kill)      # a hang fails the test, never blocks it
    watchdog.start()
    try:
        out = []
        for line in ('"hi"', "[1]", '"\u20ac"'):
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
            out.append(json.loads(proc.stdout.readline()))
        proc.stdin.close()
        assert proc.wait() == 0
    finally:
        watchdog.cancel()
        proc.kill()
    assert out[0]["parts"] == ["hi"] and "error" in out[1] and out[2]["parts"] == ["\u20ac"]
