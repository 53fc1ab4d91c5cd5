import secrets

from django.core.cache import cache

from . import services

BROWSER_COOKIE = "pu_bid"


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


class GlobalPrivacyControlMiddleware:
    """`Sec-GPC: 1` records an opt-out of sale/sharing for the browser and the account (P15)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.gpc = request.headers.get("Sec-GPC", "").strip() == "1"
        if request.gpc:
            bid = browser_id_for(request)
            user = getattr(request, "user", None)
            uid = user.pk if user is not None and user.is_authenticated else ""
            # Once recorded, later requests from the same browser and account cost no query.
            key = f"privacy:gpc:{bid}:{uid}"
            if not cache.get(key):
                services.gpc_record(request=request, browser_id=bid)
                cache.set(key, 1, 24 * 3600)
        response = self.get_response(request)
        if request.gpc:
            remember_browser_id(request, response)
        return response
