from csp.constants import UNSAFE_INLINE
from django.utils import timezone

from .timezones import zone_for_user


class SecurityHeadersMiddleware:
    """Headers besides the Content-Security-Policy (django-csp sends that): no camera,
    microphone or location for any page; inline styles for the back office only; nothing a
    signed-in person sees kept by a browser or a proxy.

    Sits inside CSPMiddleware, so the policy is built after this has marked the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.resolver_match and request.resolver_match.app_name == "admin":
            # Django's admin templates carry style="" attributes; scripts stay 'self' only.
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            # What a signed-in person sees (their sessions, photos, portraits, privacy centre)
            # stays out of shared caches and off the disk: a shared computer's browser cannot
            # show it from its history after they sign out.
            response["Cache-Control"] = "private, no-store"
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class TimeZoneMiddleware:
    """Show dates and times in the reader's zone (pictureus.timezones), never unlabelled UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = getattr(request, "LANGUAGE_CODE", "")
        with timezone.override(zone_for_user(getattr(request, "user", None), language=language)):
            return self.get_response(request)
