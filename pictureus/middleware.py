from csp.constants import UNSAFE_INLINE
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

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


class RequestSizeMiddleware:
    """Refuse a request body over the limit from its Content-Length alone, before anything
    (the CSRF check, the upload handlers) reads it: 413 with a short message in the reader's
    language. Visitors get a smaller limit than signed-in customers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        signed_in = request.user.is_authenticated
        limit = settings.MAX_REQUEST_BYTES if signed_in else settings.MAX_VISITOR_REQUEST_BYTES
        if length > limit:
            message = (
                _("This upload is too large. Send at most 20 photos of up to 25 MB each at once.")
                if signed_in
                else _("This request is too large. Sign in first to upload photos.")
            )
            response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
            # The unread body stays unread: the connection is not reused for another request.
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class TimeZoneMiddleware:
    """Show dates and times in the reader's zone (pictureus.timezones), never unlabelled UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = getattr(request, "LANGUAGE_CODE", "")
        with timezone.override(zone_for_user(getattr(request, "user", None), language=language)):
            return self.get_response(request)
