"""A provider's endpoint, replaceable in settings without touching allauth's classes."""

from typing import Any

from django.conf import settings


class Endpoint:
    """An OAuth2 adapter's URL attribute, read from `SOCIALACCOUNT_PROVIDERS[<provider>]
    ["URLS"][<attribute name>]` at each use, the provider's real address otherwise."""

    def __init__(self, default: str) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> str:
        provider_id = getattr(owner if owner is not None else type(instance), "provider_id", "")
        provider_settings = getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}).get(provider_id, {})
        return str(provider_settings.get("URLS", {}).get(self.name) or self.default)
