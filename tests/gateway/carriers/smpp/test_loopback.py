"""Integration over real loopback TCP (port 0): our client, smpplib's client,
TLS, and the bench, all against our simulator on the global reactor."""
from __future__ import annotations

import datetime
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.threads import deferToThread
from twisted.logger import globalLogPublisher

from gateway.simulators.bench.load import BenchOptions, BenchRunner
from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.carriers.smpp.endpoints import endpoint_factory
from gateway.carriers.smpp.settings import BindSettings
from gateway.simulators.smsc.config import SimConfig
from gateway.simulators.smsc.smsc import SmscSimulator
from protocols.smpp.pdu import SubmitSm


def settings(port: int, **kw: Any) -> BindSettings:
    values = dict(host="127.0.0.1", port=port, system_id="acme", password="pw", window=20,
                  response_timeout=5.0, reconnect_initial=0.2, reconnect_max=1.0)
    values.update(kw)
    return BindSettings(**values)


class Receipts:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.pdus: list = []
        self.done: Deferred = Deferred()

    def __call__(self, carrier: str, bind: str, pdu: Any) -> None:
        self.pdus.append(pdu)
        if len(self.pdus) == self.expected and not self.done.called:
            self.done.callback(None)


def within(d: Deferred, seconds: float = 10.0) -> Deferred:
    return d.addTimeout(seconds, reactor)


@pytest_twisted.inlineCallbacks
def test_carrier_against_the_simulator():
    sim = SmscSimulator(SimConfig(credentials={"acme": "pw"}, outcomes={"DELIVRD": 3, "UNDELIV": 1},
                                  seed=5), clock=reactor)
    port = sim.listen(reactor, 0)
    receipts = Receipts(200)
    carrier = SmppCarrier("acme", settings(port.getHost().port, binds=2), reactor,
                          endpoint_factory(reactor), deliver_handler=receipts)
    carrier.startService()
    try:
        pdu = SubmitSm(source_addr="15550001111", destination_addr="15550002222",
                       registered_delivery=1, short_message=b"loopback")
        responses = yield within(gatherResults([carrier.submit(pdu) for _ in range(200)]))
        yield within(receipts.done)
        ids = {r.message_id for r in responses}
        assert len(ids) == 200
        assert {p.tlv(0x001E) for p in receipts.pdus} == ids
        assert carrier.bound_count == 2
        assert all(b.protocol.transport.getTcpNoDelay() for b in carrier.binds)
        assert all(p.transport.getTcpNoDelay() for p in sim.connections)
        assert sum(s["accepted"] for s in carrier.stats.values()) == 200
    finally:
        yield carrier.stopService()
        sim.stop()
        yield port.stopListening()
    assert sim.stats["connections"] == 0


def _smpplib_session(port: int, count: int) -> dict:
    import smpplib.client
    import smpplib.consts

    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    seen = {"resp": [], "receipts": []}
    client.set_message_sent_handler(lambda pdu: seen["resp"].append(pdu.message_id))
    client.set_message_received_handler(lambda pdu: seen["receipts"].append(pdu.receipted_message_id))
    client.connect()
    try:
        client.bind_transceiver(system_id="thirdparty", password="pw")
        for i in range(count):
            client.send_message(source_addr_ton=1, source_addr="15550001111", dest_addr_ton=1,
                                destination_addr="15550002222",
                                short_message=f"smpplib {i}".encode(),
                                registered_delivery=smpplib.consts.SMPP_DELIVERY_RECEIPT_BIT_ON
                                if hasattr(smpplib.consts, "SMPP_DELIVERY_RECEIPT_BIT_ON") else 1)
        while len(seen["resp"]) < count or len(seen["receipts"]) < count:
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    return seen


@pytest_twisted.inlineCallbacks
def test_smpplib_client_against_the_simulator():
    sim = SmscSimulator(SimConfig(id_format="decimal"), clock=reactor)
    port = sim.listen(reactor, 0)
    try:
        seen = yield within(deferToThread(_smpplib_session, port.getHost().port, 5), 20)
        resp_ids = [m.decode() if isinstance(m, bytes) else m for m in seen["resp"]]
        receipt_ids = [m.decode() if isinstance(m, bytes) else m for m in seen["receipts"]]
        assert sorted(resp_ids) == sorted(receipt_ids) == [str(n) for n in range(1, 6)]
        assert sim.stats["responses"] == {"ESME_ROK": 5}
        assert sim.stats["delivers_acked"] == 5
    finally:
        sim.stop()
        yield port.stopListening()


def _certificates(tmp_path: Any) -> tuple[str, str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smsc.test")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("smsc.test")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = (tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(ca_file), str(cert_file), str(key_file)


@pytest_twisted.inlineCallbacks
def test_tls_verifies_the_smsc_certificate(tmp_path: Any):
    from gateway.simulators.smsc.cli import _tls_options

    ca_file, cert_file, key_file = _certificates(tmp_path)
    sim = SmscSimulator(SimConfig(), clock=reactor)
    port = sim.listen(reactor, 0, tls=_tls_options(cert_file, key_file))
    number = port.getHost().port
    good = SmppCarrier("good", settings(number, tls=True, tls_ca=ca_file, tls_hostname="smsc.test"),
                       reactor, endpoint_factory(reactor))
    bad = SmppCarrier("bad", settings(number, tls=True, tls_ca=ca_file, tls_hostname="other.test"),
                      reactor, endpoint_factory(reactor))
    bind_failure_logged: Deferred = Deferred()

    def watch(event: dict) -> None:
        if event.get("bind") == "bad-1" and "failed" in event.get("log_format", ""):
            if not bind_failure_logged.called:
                bind_failure_logged.callback(None)
    globalLogPublisher.addObserver(watch)
    good.startService()
    bad.startService()
    try:
        response = yield within(good.submit(SubmitSm(destination_addr="1", short_message=b"tls")))
        assert response.command_status == 0
        assert good.binds[0].protocol.transport.getTcpNoDelay()  # through the TLS layer
        if not bad.binds[0].stats.bind_failures:  # wait for its failed attempt's log event
            yield within(bind_failure_logged)
        assert bad.binds[0].stats.bind_failures >= 1
        assert not bad.is_up and sim.binds == 1
    finally:
        globalLogPublisher.removeObserver(watch)
        yield gatherResults([good.stopService(), bad.stopService()])
        sim.stop()
        yield port.stopListening()


@pytest.mark.parametrize("bind", ["transceiver", "transmitter+receiver"])
@pytest_twisted.inlineCallbacks
def test_bench_runner_against_the_simulator(bind: str):
    sim = SmscSimulator(SimConfig(id_format="hex"), clock=reactor)
    port = sim.listen(reactor, 0)
    try:
        runner = BenchRunner(reactor, settings(port.getHost().port, window=50),
                             endpoint_factory(reactor),
                             BenchOptions(count=3000, binds=2, bind=bind, receipts=True,
                                          receipt_timeout=3.0))
        result = yield within(runner.run(), 30)
    finally:
        sim.stop()
        yield port.stopListening()
    assert result["sent"] == 3000 and result["responses"] == {"ESME_ROK": 3000}
    assert result["receipts_received"] == result["receipts_matched"] == 3000
    assert result["submit_sm_per_s"] > 0 and result["cpu_us_per_submit"] > 0
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert [b["sent"] for b in result["binds"]] == [1500, 1500]


def test_bench_matches_hex_and_decimal_ids_and_early_receipts():
    from twisted.internet.task import Clock

    from protocols.smpp.pdu import SubmitSmResp

    runner = BenchRunner(Clock(), settings(1), None, BenchOptions(receipts=True))
    bench = type("B", (), {"answered": 0, "quota": 10})()
    for message_id in ("000000ff", "1a", "77"):
        runner._answered(bench, SubmitSmResp(message_id=message_id), None, 0.001)
    runner._on_deliver(SubmitSm(short_message=b"id:255 stat:DELIVRD"))  # decimal for hex ff
    runner._on_deliver(SubmitSm(short_message=b"id:0000000026 stat:DELIVRD"))  # 26 == 0x1a
    runner._on_deliver(SubmitSm(short_message=b"id:999 stat:DELIVRD"))
    runner._on_deliver(SubmitSm(short_message=b"id:abc stat:DELIVRD"))  # before its response
    runner._answered(bench, SubmitSmResp(message_id="ABC"), None, 0.001)
    runner._reconcile()
    assert (runner.receipts_received, runner.receipts_matched) == (4, 3)
    assert runner.ids == {"77"}


def test_commands_end_to_end():
    """`carrier-gateway simulate smsc --port 0` and `carrier-gateway bench --json`."""
    import json
    import subprocess
    import sys

    sim = subprocess.Popen([sys.executable, "-m", "gateway", "simulate", "smsc", "--port", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = sim.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        number = line.rsplit(":", 1)[1].split()[0]
        out = subprocess.run([sys.executable, "-m", "gateway", "bench", "--port", number,
                              "--count", "2000", "--window", "100", "--receipts", "--json"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        for key in ("submit_sm_per_s", "sent", "responses", "latency_ms",
                    "receipts_received", "receipts_matched"):
            assert key in result
        assert result["responses"] == {"ESME_ROK": 2000}
        assert result["receipts_matched"] == 2000
        assert set(result["latency_ms"]) >= {"p50", "p99"}
    finally:
        sim.terminate()
        sim.wait(10)

