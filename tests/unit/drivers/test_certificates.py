"""LocalCA: certificates an agent and the controller can trust each other with."""

from __future__ import annotations

import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from livia.drivers.certificates import LocalCA

AMP = "3f0c5b8e-1d2a-4c6b-9e7f-0a1b2c3d4e5f"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ca_files_are_created_once_with_safe_modes(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path / "pki")
    assert _mode(tmp_path / "pki" / "ca.key") == 0o600
    assert _mode(tmp_path / "pki" / "ca.pem") == 0o644
    again = LocalCA.load_or_create(tmp_path / "pki")
    assert again.ca_pem == ca.ca_pem


def test_server_cert_verifies_against_the_ca_and_names_the_amphora(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path)
    issued = ca.issue_server(AMP)
    cert = x509.load_pem_x509_certificate(issued.cert_pem)
    ca_cert = x509.load_pem_x509_certificate(ca.ca_pem)
    cert.verify_directly_issued_by(ca_cert)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == AMP
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [AMP]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage
    key = x509.load_pem_x509_certificate(issued.cert_pem).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"


def test_server_cert_expiry_is_in_the_future(tmp_path: Path) -> None:
    issued = LocalCA.load_or_create(tmp_path).issue_server(AMP, validity_days=30)
    now = datetime.now(UTC)
    assert now + timedelta(days=29) < issued.expires_at <= now + timedelta(days=30)
    cert = x509.load_pem_x509_certificate(issued.cert_pem)
    assert cert.not_valid_after_utc == issued.expires_at


def test_a_cert_from_another_ca_does_not_verify(tmp_path: Path) -> None:
    ours = LocalCA.load_or_create(tmp_path / "a")
    theirs = LocalCA.load_or_create(tmp_path / "b")
    cert = x509.load_pem_x509_certificate(theirs.issue_server(AMP).cert_pem)
    with pytest.raises(InvalidSignature):
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ours.ca_pem))


def test_client_cert_is_issued_once_and_stored_safely(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path)
    cert_path, key_path = ca.client_cert_paths()
    assert _mode(key_path) == 0o600
    first = cert_path.read_bytes()
    assert ca.client_cert_paths() == (cert_path, key_path)
    assert cert_path.read_bytes() == first
    cert = x509.load_pem_x509_certificate(first)
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage


def test_python_ssl_accepts_the_pair(tmp_path: Path) -> None:
    """The agent loads exactly these files into an ssl context."""
    ca = LocalCA.load_or_create(tmp_path)
    issued = ca.issue_server(AMP)
    (tmp_path / "s.pem").write_bytes(issued.cert_pem)
    (tmp_path / "s.key").write_bytes(issued.key_pem)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "s.pem", tmp_path / "s.key")
    ctx.load_verify_locations(cafile=str(ca.ca_path))
