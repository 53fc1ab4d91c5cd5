"""Production settings: `check --deploy` is clean with them, start-up refuses without them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k8#Qz!v2Lr9@xW4&pN7$tY1^mB5*hJ3(cF6)dS0_gA-eU+iO=oP~aZ",
    "ALLOWED_HOSTS": "pictureus.example",
    "DATABASE_URL": "postgres://pictureus:secret@db.internal:5432/pictureus",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "REDIS_URL": "redis://redis.internal:6379/1",
    "STRIPE_SECRET_KEY": "sk_test_production_like",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_like",
    "DEFAULT_FROM_EMAIL": "PictureUs <hello@pictureus.example>",
    "PICTUREUS_COMPANY_NAME": "PictureUs Labs Inc.",
    "PICTUREUS_COMPANY_ADDRESS": "100 Production Road, Seoul, Republic of Korea",
    "PICTUREUS_PRIVACY_OFFICER": "Min-ji Park, Head of Privacy",
    "PICTUREUS_RECEIPT_CHAIN_KEY": "receipt-chain-key-for-the-deploy-check-0123456789",
    "PRIVACY_CONTACT_EMAIL": "privacy@pictureus.example",
    # Replaced by a real chain (signing_chain) where the files are read.
    "C2PA_SIGNING_CERT": "/etc/pictureus/c2pa/chain.pem",
    "C2PA_SIGNING_KEY": "/etc/pictureus/c2pa/key.pem",
}

# The seller's identity (전자상거래법 Art. 10): a system check, not a start-up error, names each.
SELLER = {
    "PICTUREUS_REPRESENTATIVE": "Min-jun Kim",
    "PICTUREUS_BUSINESS_NUMBER": "220-81-62517",
    "PICTUREUS_MAIL_ORDER_NUMBER": "2026-Seoul-Gangnam-01234",
    "PICTUREUS_PHONE": "+82-2-1234-5678",
    "PICTUREUS_SELLER_EMAIL": "help@pictureus.example",
    "PICTUREUS_HOSTING_PROVIDER": "Amazon Web Services Korea LLC",
}


@pytest.fixture
def signing_chain(tmp_path):
    """PRODUCTION with the seller's disclosure and a signing certificate and key that C2PA
    accepts, made in code."""
    from generation.provenance import signing_chain_make

    credentials = signing_chain_make(tmp_path / "c2pa", common_name="Deploy check signer")
    return {
        **PRODUCTION,
        **SELLER,
        "C2PA_SIGNING_CERT": str(credentials.chain_path),
        "C2PA_SIGNING_KEY": str(credentials.key_path),
    }


def _manage(tmp_path, env, *args):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and k not in SELLER
        and not k.startswith(("PICTUREUS_TESTING", "DJANGO_"))
    }
    base.update(PICTUREUS_DATA_DIR=str(tmp_path), PICTUREUS_TESTING="0", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path, signing_chain):
    result = _manage(tmp_path, signing_chain, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_checks_name_a_missing_line_of_the_seller_disclosure(tmp_path, signing_chain):
    env = {**signing_chain, "PICTUREUS_HOSTING_PROVIDER": ""}
    result = _manage(tmp_path, env, "check")
    assert result.returncode != 0
    assert "pictureus.E010" in result.stderr
    assert "PICTUREUS_HOSTING_PROVIDER must be set" in result.stderr


@pytest.mark.parametrize("missing", sorted(PRODUCTION.keys() - {"DEBUG"}))
def test_start_up_fails_naming_a_missing_production_setting(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage(tmp_path, env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set" in result.stderr


def test_start_up_refuses_a_signing_certificate_that_c2pa_would_refuse(tmp_path, signing_chain):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    # The signer's certificate alone, without the CA that issued it.
    chain = Path(signing_chain["C2PA_SIGNING_CERT"])
    leaf = x509.load_pem_x509_certificates(chain.read_bytes())[0]
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    result = _manage(tmp_path, signing_chain, "check", "--deploy")
    assert result.returncode != 0
    assert "generation.E002" in result.stderr
    assert "must hold the signer's certificate, then its CA chain" in result.stderr


def test_start_up_refuses_a_key_that_is_not_the_certificates(tmp_path, signing_chain):
    from generation.provenance import signing_chain_make

    other = signing_chain_make(tmp_path / "other", common_name="Someone else")
    env = {**signing_chain, "C2PA_SIGNING_KEY": str(other.key_path)}
    result = _manage(tmp_path, env, "check", "--deploy")
    assert result.returncode != 0
    assert "does not belong to the first certificate" in result.stderr


def test_start_up_names_a_signing_key_that_cannot_be_read(tmp_path, signing_chain):
    env = {**signing_chain, "C2PA_SIGNING_KEY": str(tmp_path / "missing.pem")}
    result = _manage(tmp_path, env, "check", "--deploy")
    assert result.returncode != 0
    assert f"C2PA_SIGNING_KEY {tmp_path / 'missing.pem'} cannot be read" in result.stderr
