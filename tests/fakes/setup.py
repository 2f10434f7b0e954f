"""A started fake org with one connected app that allows all three OAuth flows — shared by the
test fixtures and the benchmark."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.fakes.fake_salesforce import FakeSalesforce

CONSUMER_KEY = "test-consumer-key"
CONSUMER_SECRET = "test-consumer-secret"
USERNAME = "integration@example.com"
PASSWORD = "test-password"
SECURITY_TOKEN = "tok3n"


def make_jwt_key(directory: Path) -> tuple[Path, bytes]:
    """An RSA key for the JWT bearer flow: the private key file for the app, the certificate for
    the fake's connected app (as you would upload it to Salesforce)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PS Pipeline integration")])
    start = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - dt.timedelta(days=1))
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    path = directory / "jwt-private-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    return path, certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class FakeOrg:
    fake: FakeSalesforce
    private_key_file: Path
    certificate: bytes

    def settings(self, flow: str = "password") -> dict[str, object]:
        """The SALESFORCE_* settings that point the app at this org with one auth flow."""
        values: dict[str, object] = {
            "SALESFORCE_LOGIN_URL": self.fake.url,
            "SALESFORCE_CA_BUNDLE": str(self.fake.ca_path),
            "SALESFORCE_AUTH_FLOW": flow,
            "SALESFORCE_CONSUMER_KEY": CONSUMER_KEY,
            "SALESFORCE_CONSUMER_SECRET": "",
            "SALESFORCE_USERNAME": "",
            "SALESFORCE_PASSWORD": "",
            "SALESFORCE_SECURITY_TOKEN": "",
            "SALESFORCE_PRIVATE_KEY_FILE": "",
        }
        if flow == "password":
            values.update(
                SALESFORCE_CONSUMER_SECRET=CONSUMER_SECRET,
                SALESFORCE_USERNAME=USERNAME,
                SALESFORCE_PASSWORD=PASSWORD,
                SALESFORCE_SECURITY_TOKEN=SECURITY_TOKEN,
            )
        elif flow == "client_credentials":
            values.update(SALESFORCE_CONSUMER_SECRET=CONSUMER_SECRET)
        elif flow == "jwt":
            values.update(
                SALESFORCE_USERNAME=USERNAME, SALESFORCE_PRIVATE_KEY_FILE=str(self.private_key_file)
            )
        return values

    def configure(self) -> None:
        self.fake.add_login(USERNAME, PASSWORD + SECURITY_TOKEN)
        self.fake.register_app(
            CONSUMER_KEY, CONSUMER_SECRET, certificate_pem=self.certificate, run_as=USERNAME
        )


def start_fake_org(**kwargs: Any) -> FakeOrg:
    directory = Path(tempfile.mkdtemp(prefix="fake-salesforce-keys-"))
    key_path, certificate = make_jwt_key(directory)
    fake = FakeSalesforce(**kwargs).start()
    org = FakeOrg(fake=fake, private_key_file=key_path, certificate=certificate)
    org.configure()
    return org
