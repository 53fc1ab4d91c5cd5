"""Content credentials (C2PA) on delivered portraits: they say that PictureUs made the image with
generative AI, and with which model family (인공지능 기본법: AI-generated content is labelled).

No torch here: the web tier may import this module (the system check reads the credentials).
The manifest holds no personal data: no name, email, session, seed or prompt, only the
service, its version, the model family and that the image is AI-generated.
"""

import datetime
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# IPTC digital source type of an image made by a model trained on sampled content.
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATOR = "PictureUs"
MODEL_FAMILIES = {
    "tiny": "the PictureUs development model (placeholder images)",
    "sd": "Stable Diffusion 1.x/2.x with a personal LoRA",
    "sdxl": "Stable Diffusion XL with a personal LoRA",
}
# Extended key usages the C2PA certificate profile accepts for a claim signer (c2pa-rs refuses
# a signing certificate without one of them, a self-signed one, or one without digitalSignature).
C2PA_CLAIM_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
SIGNING_EKUS = {ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING, C2PA_CLAIM_SIGNING}
DEV_DIRECTORY = "c2pa-dev"


class CredentialsError(Exception):
    """The signing certificate or key cannot sign content credentials; the message says why."""


@dataclass(frozen=True)
class Credentials:
    chain_path: Path
    key_path: Path


def generator_version() -> str:
    try:
        return metadata.version("pictureus")
    except metadata.PackageNotFoundError:
        return "0"


def manifest_definition(*, family: str) -> dict[str, Any]:
    """The manifest of one portrait: who made it, with what kind of model, and that it is
    AI-generated. Nothing about the customer or the session goes in here."""
    model = MODEL_FAMILIES[family]
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": generator_version()}],
        "title": "PictureUs AI portrait",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": GENERATOR, "version": generator_version()},
                            "description": f"Generated with AI by {GENERATOR} using {model}.",
                            "parameters": {"model_family": family},
                        }
                    ]
                },
            }
        ],
    }


def signing_credentials() -> Credentials:
    """The configured certificate chain and key; locally (DEBUG) without them, a development
    chain made at first use under DATA_DIR (never trusted outside this installation)."""
    cert, key = settings.C2PA_SIGNING_CERT, settings.C2PA_SIGNING_KEY
    if cert and key:
        return Credentials(Path(cert), Path(key))
    if not settings.DEBUG:
        raise ImproperlyConfigured("C2PA_SIGNING_CERT and C2PA_SIGNING_KEY must be set.")
    return dev_credentials(Path(settings.DATA_DIR) / DEV_DIRECTORY)


def dev_credentials(directory: Path) -> Credentials:
    """A development chain in `directory`, made once; two processes racing both end with the
    same files (the first folder renamed into place wins)."""
    credentials = Credentials(directory / "chain.pem", directory / "key.pem")
    if credentials.chain_path.exists() and credentials.key_path.exists():
        return credentials
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".c2pa-", dir=directory.parent))
    signing_chain_make(staging, common_name="PictureUs development signer (untrusted)")
    try:
        os.rename(staging, directory)
        logger.warning("made a development C2PA signing certificate in %s", directory)
    except OSError:
        for path in staging.iterdir():
            path.unlink()
        staging.rmdir()
    return credentials


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, GENERATOR),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def signing_chain_make(directory: Path, *, common_name: str, days: int = 365) -> Credentials:
    """A certificate authority and a signer it issued, as the C2PA profile wants them (ECDSA
    P-256, key usage digitalSignature, extended key usage emailProtection and documentSigning),
    written as chain.pem (signer, then CA), key.pem and ca.pem. For development and tests."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{common_name} CA"))
        .issuer_name(_name(f"{common_name} CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "chain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    key_path = directory / "key.pem"
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return Credentials(directory / "chain.pem", key_path)


def _signing_algorithm(key: Any) -> c2pa.C2paSigningAlg:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {
            "secp256r1": c2pa.C2paSigningAlg.ES256,
            "secp384r1": c2pa.C2paSigningAlg.ES384,
            "secp521r1": c2pa.C2paSigningAlg.ES512,
        }
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return c2pa.C2paSigningAlg.PS256
    raise CredentialsError(
        "the key is of a kind C2PA does not sign with; use ECDSA P-256/P-384/P-521, Ed25519 "
        "or RSA of 2048 bits or more"
    )


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CredentialsError(f"{what} {path} cannot be read ({exc.strerror})") from exc


def _profile_problem(leaf: x509.Certificate, chain_length: int) -> str | None:
    """What the C2PA certificate profile refuses in the signer's certificate, if anything."""
    now = datetime.datetime.now(datetime.UTC)
    if leaf.issuer == leaf.subject:
        return "it is self-signed; C2PA wants a signer issued by a certificate authority"
    if chain_length < 2:
        return "the file must hold the signer's certificate, then its CA chain"
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        return (
            f"it is not valid now (valid {leaf.not_valid_before_utc} to {leaf.not_valid_after_utc})"
        )
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
        ekus = set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return "it lacks a key usage or an extended key usage extension"
    if not (usage.critical and usage.value.digital_signature):
        return "its key usage must be critical and include digitalSignature"
    if not ekus & SIGNING_EKUS:
        return "its extended key usage must include emailProtection or documentSigning"
    return None


def credentials_load(credentials: Credentials) -> tuple[bytes, bytes, c2pa.C2paSigningAlg]:
    """The chain, the key and the algorithm, checked against the C2PA certificate profile."""
    chain = _read(credentials.chain_path, "C2PA_SIGNING_CERT")
    key_pem = _read(credentials.key_path, "C2PA_SIGNING_KEY")
    try:
        certificates = x509.load_pem_x509_certificates(chain)
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"the certificate or key cannot be read as PEM ({exc})") from exc
    leaf = certificates[0]
    problem = _profile_problem(leaf, len(certificates))
    if problem:
        raise CredentialsError(f"the certificate in {credentials.chain_path}: {problem}")
    if leaf.public_key() != key.public_key():
        raise CredentialsError(
            f"the key in {credentials.key_path} does not belong to the first certificate in "
            f"{credentials.chain_path}"
        )
    return chain, key_pem, _signing_algorithm(key)


@lru_cache(maxsize=4)
def _signer(credentials: Credentials, _stamp: tuple[float, float]) -> c2pa.Signer:
    chain, key, algorithm = credentials_load(credentials)
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(algorithm, chain, key, None))


def signer(credentials: Credentials) -> c2pa.Signer:
    """The signer of these files, made once per process (again when a file changes)."""
    try:
        stamp = (credentials.chain_path.stat().st_mtime, credentials.key_path.stat().st_mtime)
    except OSError:
        credentials_load(credentials)  # raises CredentialsError naming the file
        raise
    return _signer(credentials, stamp)


@lru_cache(maxsize=1)
def _builder_context() -> c2pa.Context:
    # No thumbnail in the manifest: the file is the image, a second copy adds only bytes.
    return c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})


def content_credentials_sign(
    data: bytes, *, mime: str, family: str, credentials: Credentials | None = None
) -> bytes:
    """The image with its signed C2PA manifest embedded (PNG, JPEG, WebP)."""
    credentials = credentials or signing_credentials()
    with c2pa.Builder(manifest_definition(family=family), context=_builder_context()) as builder:
        signed = io.BytesIO()
        builder.sign(signer(credentials), mime, io.BytesIO(data), signed)
    return signed.getvalue()


# The smallest PNG (one grey pixel): what the start-up check signs to prove the credentials.
_PROBE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c636800000082008177cd72b60000000049454e44ae426082"
)


def credentials_check(credentials: Credentials) -> None:
    """Sign a one-pixel image with the credentials; CredentialsError says what is wrong."""
    try:
        content_credentials_sign(_PROBE_PNG, mime="image/png", family="sd", credentials=credentials)
    except c2pa.C2paError as exc:
        raise CredentialsError(f"C2PA refuses to sign with them ({exc})") from exc
