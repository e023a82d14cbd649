"""A throw-away certificate authority and server certificate for the fake API server.

Made with the ``openssl`` command line at test time: the ``cryptography`` package is not a
dependency of the project, and ``openssl`` is on every machine the tests run on. Nothing is
checked in, so no key ever expires in the repository or leaks from it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TLSMaterial:
    """PEM files of a test CA and of a server certificate it signed for 127.0.0.1/localhost."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @property
    def ca_pem(self) -> bytes:
        return self.ca_file.read_bytes()


_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["openssl", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def make_ca(directory: Path, name: str = "fakekube-test-ca") -> tuple[Path, Path]:
    """A self-signed CA: (certificate, key)."""
    if shutil.which("openssl") is None:  # pragma: no cover - depends on the machine
        raise RuntimeError("the openssl command is needed to make test certificates")
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    _openssl(
        "req", "-x509", *_EC_KEY,
        "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
        cwd=directory,
    )  # fmt: skip
    return cert, key


def make_tls_material(directory: Path) -> TLSMaterial:
    """A CA and a server certificate for ``127.0.0.1`` and ``localhost`` signed by it."""
    ca_cert, ca_key = make_ca(directory)
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.crt"
    extensions = directory / "server.ext"
    # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers and a non-CA
    # basicConstraints must be present, as on certificates a real cluster issues.
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n",
        encoding="ascii",
    )
    _openssl(
        "req", *_EC_KEY, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=kube-apiserver",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
        "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions),
        cwd=directory,
    )  # fmt: skip
    return TLSMaterial(ca_file=ca_cert, cert_file=cert, key_file=key)
