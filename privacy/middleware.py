import secrets

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache

from . import services

BROWSER_COOKIE = "pu_bid"
CONSENT_COOKIE = "pu_consent"
GPC_RECORDED_FOR = 24 * 3600


def browser_id_for(request) -> str:
    """The browser's pseudonymous id (made once; strictly necessary to honour its choices)."""
    bid = getattr(request, "_privacy_browser_id", None) or request.COOKIES.get(BROWSER_COOKIE, "")
    if not bid or len(bid) > 64 or not bid.isalnum():
        bid = secrets.token_hex(16)
    request._privacy_browser_id = bid
    return bid


def remember_browser_id(request, response) -> None:
    bid = getattr(request, "_privacy_browser_id", None)
    if bid and request.COOKIES.get(BROWSER_COOKIE) != bid:
        response.set_cookie(
            BROWSER_COOKIE,
            bid,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),
        )


def necessary_cookies() -> set[str]:
    """The cookies the site needs to work (P21); any other cookie is optional."""
    return {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        CookieStorage.cookie_name,  # a message shown once after a form is sent
        BROWSER_COOKIE,
        CONSENT_COOKIE,
    }


def cookie_choice_from(request) -> str:
    """The choice this browser made about optional cookies: "accept", "reject" or "" (none).

    Anything but "accept" allows no optional cookie; any value at all hides the banner.
    """
    choice = request.COOKIES.get(CONSENT_COOKIE, "")
    return "" if not choice else "accept" if choice == "accept" else "reject"


def remember_cookie_choice(request, response, choice: str) -> None:
    """Keep the choice in the browser; a refusal also removes optional cookies already set."""
    response.set_cookie(
        CONSENT_COOKIE,
        choice,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
    if choice == "reject":
        for name in set(request.COOKIES) - necessary_cookies():
            response.delete_cookie(name, samesite="Lax")
    remember_browser_id(request, response)


class GlobalPrivacyControlMiddleware:
    """`Sec-GPC: 1` records an opt-out of sale/sharing for the browser and the account (P15)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.gpc = request.headers.get("Sec-GPC", "").strip() == "1"
        if request.gpc:
            bid = browser_id_for(request)
            before = self._record_once(request, bid)
        response = self.get_response(request)
        if request.gpc:
            # Signing in happens inside the view: the account just signed in is recorded on
            # this same response, not only if a later request sends the signal again.
            if self._account_id(request) != before:
                self._record_once(request, bid)
            remember_browser_id(request, response)
        return response

    @staticmethod
    def _account_id(request):
        user = getattr(request, "user", None)
        return user.pk if user is not None and user.is_authenticated else ""

    def _record_once(self, request, bid: str):
        """Record for this browser and account once; later requests cost no query."""
        uid = self._account_id(request)
        key = f"privacy:gpc:{bid}:{uid}"
        # add() claims the key atomically, so parallel requests cannot write a row each.
        if cache.add(key, 1, GPC_RECORDED_FOR):
            try:
                services.gpc_record(request=request, browser_id=bid)
            except Exception:
                cache.delete(key)
                raise
        return uid
