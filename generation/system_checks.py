"""System check: the C2PA signing certificate and key can sign (run by `manage.py check`,
`check --deploy`, `migrate` and at worker start-up)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from .provenance import Credentials, CredentialsError, credentials_check


@checks.register(checks.Tags.security)
def c2pa_signing_credentials(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    cert, key = settings.C2PA_SIGNING_CERT, settings.C2PA_SIGNING_KEY
    if not cert and not key:
        # Production settings refuse to load without them; locally a development chain is made.
        return []
    hint = (
        "Set C2PA_SIGNING_CERT to a PEM file holding the signer's certificate then its CA chain, "
        "and C2PA_SIGNING_KEY to its private key (see docs/deploy.md)."
    )
    if not (cert and key):
        return [
            checks.Error(
                "Set both C2PA_SIGNING_CERT and C2PA_SIGNING_KEY.", hint=hint, id="generation.E001"
            )
        ]
    try:
        credentials_check(Credentials(Path(cert), Path(key)))
    except CredentialsError as exc:
        return [
            checks.Error(
                f"Portraits cannot be signed with content credentials: {exc}.",
                hint=hint,
                id="generation.E002",
            )
        ]
    return []
