"""The MM7 client verifies the MMSC's certificate (real TLS over loopback)."""
from __future__ import annotations

import datetime

import pytest_twisted
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet import reactor, ssl
from twisted.internet.task import Clock
from twisted.web.server import Site

from gateway.mms.client import Mm7Client, make_http_client
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator
from protocols.mm7.envelope import Dialect
from protocols.mm7.status import Verdict
from protocols.mm7.submit import SubmitRequest, build_submit


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    (tmp_path / "ca.pem").write_bytes(cert_pem)
    return ssl.PrivateCertificate.loadPEM(key_pem + cert_pem), str(tmp_path / "ca.pem")


@pytest_twisted.inlineCallbacks
def test_https_certificate_is_verified(tmp_path):
    server_cert, ca_file = self_signed(tmp_path)
    sim = MmscSimulator(Clock(), None, MmscConfig())
    port = reactor.listenSSL(0, Site(sim.resource()), server_cert.options(), interface="127.0.0.1")
    url = f"https://localhost:{port.getHost().port}/mm7"
    ctype, body = build_submit(SubmitRequest("+1555", ("+1666",)), Dialect(), "t", "b")
    try:
        untrusted = Mm7Client(make_http_client(reactor), reactor, url=url, retries=0, timeout=5)
        result = yield untrusted.submit(ctype, body)
        assert result.verdict is Verdict.FAILED and result.error_code == 30008
        assert "connection failed" in result.error_message and sim.stats["requests"] == 0
        trusted = Mm7Client(make_http_client(reactor, ca_file=ca_file), reactor, url=url, retries=0, timeout=5)
        result = yield trusted.submit(ctype, body)
        assert result.verdict is Verdict.SENT and sim.stats["accepted"] == 1
    finally:
        yield port.stopListening()
