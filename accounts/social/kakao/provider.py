from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.kakao.provider import KakaoProvider as AllauthKakaoProvider

from .views import KakaoAdapter


def _account(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data.get("id"):
        raise ProviderException("Kakao answered without a user profile.")
    account = data.get("kakao_account")
    return account if isinstance(account, dict) else {}


class KakaoProvider(AllauthKakaoProvider):
    """Kakao, asked for the nickname and the email address only (scopes `profile_nickname`
    and `account_email`); the rest of Kakao's answer is not kept."""

    package = "accounts.social.kakao"
    oauth2_adapter_class = KakaoAdapter

    def extract_uid(self, data: Any) -> str:
        _account(data)
        return str(data["id"])

    def extract_common_fields(self, data: Any) -> dict[str, str]:
        account = _account(data)
        profile = account.get("profile") or {}
        return {"email": account.get("email") or "", "display_name": profile.get("nickname") or ""}

    def extract_email_addresses(self, data: Any) -> list[EmailAddress]:
        account = _account(data)
        email = account.get("email")
        if not email:
            return []
        # Kakao confirms an address (is_email_verified) and says when it no longer works
        # (is_email_valid: false, e.g. an address the member lost): both must hold.
        verified = account.get("is_email_verified") is True
        return [
            EmailAddress(
                email=email,
                verified=verified and account.get("is_email_valid") is not False,
                primary=True,
            )
        ]

    def extract_extra_data(self, data: Any) -> dict[str, Any]:
        fields = self.extract_common_fields(data)
        return {
            "id": data["id"],
            "kakao_account": {
                "email": fields["email"],
                "profile": {"nickname": fields["display_name"]},
            },
        }


provider_classes = [KakaoProvider]
