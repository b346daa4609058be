"""The local certificate authority behind the controller <-> agent mutual TLS.

One CA (EC P-256, kept in a directory of the controller's state) signs a
server certificate per amphora, whose common name and DNS name are the
amphora id (the controller checks that name, not the address), and one client
certificate for the controller itself. Agents trust client certificates this
CA signed; the controller trusts server certificates this CA signed.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_VALIDITY_DAYS = 3650
CLIENT_VALIDITY_DAYS = 825
# Clocks of the amphorae are the host's, but a little slack costs nothing.
BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class IssuedCert:
    cert_pem: bytes
    key_pem: bytes
    expires_at: datetime


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write a file whole: readers never see half of it, nor a wider mode."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise creation across processes (several controllers may share the CA)."""
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _self_signed_ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "livia local CA")])
    now = datetime.now(UTC)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=CA_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


class LocalCA:
    """A CA whose key and certificate live in one directory (ca.key 0600, ca.pem 0644)."""

    def __init__(self, directory: Path, key: ec.EllipticCurvePrivateKey,
                 cert: x509.Certificate) -> None:
        self._directory = directory
        self._key = key
        self._cert = cert

    @classmethod
    def load_or_create(cls, directory: Path) -> LocalCA:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(directory):
            key_path, cert_path = directory / "ca.key", directory / "ca.pem"
            if not key_path.exists() or not cert_path.exists():
                key = _new_key()
                _write(key_path, _key_pem(key), 0o600)
                _write(cert_path, _self_signed_ca(key).public_bytes(serialization.Encoding.PEM),
                       0o644)
            return cls._load(directory, key_path, cert_path)

    @classmethod
    def _load(cls, directory: Path, key_path: Path, cert_path: Path) -> LocalCA:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path} is not an EC private key")
        return cls(directory, key, x509.load_pem_x509_certificate(cert_path.read_bytes()))

    @property
    def ca_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    @property
    def ca_path(self) -> Path:
        return self._directory / "ca.pem"

    def issue_server(self, amphora_id: str, validity_days: int = 30) -> IssuedCert:
        """A certificate an amphora's agent serves; CN and DNS name are the amphora id."""
        return self._issue(amphora_id, ExtendedKeyUsageOID.SERVER_AUTH, validity_days)

    def issue_client(self, name: str = "livia-controller") -> IssuedCert:
        return self._issue(name, ExtendedKeyUsageOID.CLIENT_AUTH, CLIENT_VALIDITY_DAYS)

    def client_cert_paths(self) -> tuple[Path, Path]:
        """The controller's client certificate and key, issued on first use."""
        cert_path, key_path = self._directory / "client.pem", self._directory / "client.key"
        with _locked(self._directory):
            if not cert_path.exists() or not key_path.exists():
                issued = self.issue_client()
                _write(key_path, issued.key_pem, 0o600)
                _write(cert_path, issued.cert_pem, 0o644)
        return cert_path, key_path

    def _issue(self, name: str, usage: x509.ObjectIdentifier, validity_days: int) -> IssuedCert:
        key = _new_key()
        now = datetime.now(UTC)
        expires = now + timedelta(days=validity_days)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(expires)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        return IssuedCert(cert_pem=cert.public_bytes(serialization.Encoding.PEM),
                          key_pem=_key_pem(key), expires_at=cert.not_valid_after_utc)
