"""Who sells on this site, as Korean law asks every online seller to show it (전자상거래법
Art. 10): read from settings, shown in the footer, on the terms page and in order emails, and
checked at start-up so that production never runs the Korean site without it."""

import re
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _

# Each line of the disclosure: the setting it comes from and its label.
SELLER_SETTINGS = (
    ("PICTUREUS_COMPANY_NAME", _("Company name")),
    ("PICTUREUS_REPRESENTATIVE", _("Representative")),
    ("PICTUREUS_BUSINESS_NUMBER", _("Business registration number")),
    ("PICTUREUS_MAIL_ORDER_NUMBER", _("Mail-order business report number")),
    ("PICTUREUS_COMPANY_ADDRESS", _("Address")),
    ("PICTUREUS_PHONE", _("Phone")),
    ("PICTUREUS_SELLER_EMAIL", _("Email")),
    ("PICTUREUS_HOSTING_PROVIDER", _("Hosting provider")),
)
# The Fair Trade Commission's public record of a business, by its registration number.
VERIFICATION_URL = "https://www.ftc.go.kr/bizCommPop.do?wrkr_no={number}"


def seller() -> dict[str, Any]:
    """The disclosure as lines (label, value, and for the business registration number its
    public verification link)."""
    digits = re.sub(r"\D", "", settings.PICTUREUS_BUSINESS_NUMBER)
    verification_url = VERIFICATION_URL.format(number=digits) if digits else ""
    lines = [
        {
            "label": label,
            "value": getattr(settings, name, ""),
            "url": verification_url if name == "PICTUREUS_BUSINESS_NUMBER" else "",
        }
        for name, label in SELLER_SETTINGS
    ]
    return {
        "lines": lines,
        "name": settings.PICTUREUS_COMPANY_NAME,
        "email": settings.PICTUREUS_SELLER_EMAIL,
        "business_number": settings.PICTUREUS_BUSINESS_NUMBER,
        "verification_url": verification_url,
    }


@checks.register(checks.Tags.compatibility, deploy=False)
def seller_disclosure_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off and the Korean site on, every line of the disclosure must be set."""
    if settings.DEBUG or "ko" not in dict(settings.LANGUAGES):
        return []
    errors: list[checks.CheckMessage] = [
        checks.Error(
            f"{name} must be set: the Korean site shows the seller's identity "
            "(전자상거래법 Art. 10).",
            hint=f"Set the {name} environment variable.",
            id="pictureus.E010",
        )
        for name, _label in SELLER_SETTINGS
        if not str(getattr(settings, name, "")).strip()
    ]
    number = re.sub(r"\D", "", getattr(settings, "PICTUREUS_BUSINESS_NUMBER", ""))
    if number and len(number) != 10:
        errors.append(
            checks.Error(
                "PICTUREUS_BUSINESS_NUMBER must have ten digits (123-45-67890).",
                id="pictureus.E011",
            )
        )
    return errors
