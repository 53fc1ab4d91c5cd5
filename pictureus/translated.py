"""Models that keep a text in each language as `<field>_<language>` columns."""

from django.utils.translation import get_language


class TranslatedFieldsMixin:
    """Pick the `<field>_<language>` value for the active language, English as a fallback."""

    def translated(self, field: str) -> str:
        lang = (get_language() or "en")[:2]
        return getattr(self, f"{field}_{lang}", "") or getattr(self, f"{field}_en")
