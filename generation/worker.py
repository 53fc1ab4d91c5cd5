"""Worker start-up: refuse to start with a base model that cannot be used, or without a
certificate that signs the portraits' content credentials.

Connected from GenerationConfig.ready(); no torch here, only file headers are read.
"""

import logging
import os
import sys

from celery.signals import worker_init

logger = logging.getLogger(__name__)

# Never any hub download in a worker, whatever a library would like to fetch.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


@worker_init.connect
def check_base_model(**kwargs):
    from django.conf import settings

    from .modelcheck import BaseModelError, inspect_base_model

    try:
        info = inspect_base_model(settings.PICTUREUS_BASE_MODEL)
    except BaseModelError as exc:
        message = f"PictureUs worker cannot start: {exc}"
        logger.critical(message)
        print(message, file=sys.stderr, flush=True)
        # SystemExit passes through Celery's signal dispatch (it only catches Exception).
        raise SystemExit(2) from exc
    _check_signer()
    if info["family"] == "tiny":
        logger.warning("no PICTUREUS_BASE_MODEL: using the tiny development model (placeholders)")
    else:
        logger.info("base model: %s (%s, %s)", info["path"], info["family"], info["format"])


def _check_signer() -> None:
    """Every delivered portrait is signed: a worker that could not sign refuses to start (a
    development chain is made here, at first use, when none is configured and DEBUG is on)."""
    from .provenance import CredentialsError, credentials_check, signing_credentials

    try:
        credentials_check(signing_credentials())
    except CredentialsError as exc:
        message = f"PictureUs worker cannot start: portraits cannot be signed: {exc}"
        logger.critical(message)
        print(message, file=sys.stderr, flush=True)
        raise SystemExit(2) from exc
