"""Prices as customers read them: which currency a site language pays in, and amounts in minor
units written the way each language writes them."""

from django.utils.translation import get_language

# Minor units per currency: won have none.
MINOR_UNITS = {"usd": 100, "krw": 1}


def currency_for_language(language=None):
    """The currency a customer pays in: won on the Korean site, dollars elsewhere."""
    return "krw" if (language or get_language() or "en").startswith("ko") else "usd"


def format_money(amount, currency, language=None):
    language = (language or get_language() or "en")[:2]
    currency = currency.lower()
    major = amount / MINOR_UNITS.get(currency, 100)
    if currency == "krw":
        return f"{major:,.0f}원" if language == "ko" else f"₩{major:,.0f}"
    if currency == "usd":
        return f"US${major:,.2f}" if language == "ko" else f"${major:,.2f}"
    return f"{major:,.2f} {currency.upper()}"
