"""Models that keep a text in each language as `<field>_<language>` columns."""

from typing import Any, overload

from django.utils.translation import get_language


class TranslatedFieldsMixin:
    """Pick the `<field>_<language>` value for the active language, English as a fallback."""

    def translated(self, field: str) -> str:
        lang = (get_language() or "en")[:2]
        return getattr(self, f"{field}_{lang}", "") or getattr(self, f"{field}_en")


class Translated:
    """A model's text in the reader's language: `name = Translated()` on a model with
    `name_en` and `name_ko` columns reads the active language's, English as a fallback."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = name

    @overload
    def __get__(self, obj: None, owner: Any = None) -> "Translated": ...

    @overload
    def __get__(self, obj: TranslatedFieldsMixin, owner: Any = None) -> str: ...

    def __get__(self, obj: TranslatedFieldsMixin | None, owner: Any = None) -> "str | Translated":
        if obj is None:  # read on the class (the admin looks fields up there)
            return self
        return obj.translated(self.field)
