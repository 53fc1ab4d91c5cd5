from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.naver.provider import NaverProvider as AllauthNaverProvider

from .views import NaverAdapter


def _profile(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data.get("id"):
        raise ProviderException("Naver answered without a user profile.")
    return data


class NaverProvider(AllauthNaverProvider):
    """Naver, with the nickname and the email address as the only items the application asks
    for (chosen in Naver's developer console); the rest of Naver's answer is not kept."""

    package = "accounts.social.naver"
    oauth2_adapter_class = NaverAdapter

    def extract_uid(self, data: Any) -> str:
        return str(_profile(data)["id"])

    def extract_common_fields(self, data: Any) -> dict[str, str]:
        profile = _profile(data)
        # The nickname, never the legal name Naver may also hold.
        return {"email": profile.get("email") or "", "display_name": profile.get("nickname") or ""}

    def extract_email_addresses(self, data: Any) -> list[EmailAddress]:
        email = _profile(data).get("email")
        if not email:
            return []
        # Naver gives the member's contact address without a flag: whether it counts as
        # confirmed is the setting VERIFIED_EMAIL (True, or the domains to trust).
        verified = get_adapter().is_email_verified(self, email)
        return [EmailAddress(email=email, verified=verified, primary=True)]

    def extract_extra_data(self, data: Any) -> dict[str, Any]:
        fields = self.extract_common_fields(data)
        return {"id": data["id"], "email": fields["email"], "nickname": fields["display_name"]}


provider_classes = [NaverProvider]
