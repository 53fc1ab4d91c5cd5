from django.conf import settings
from django.utils import timezone

from .timezones import zone_for_user


class ContentSecurityPolicyMiddleware:
    """Send the site's Content-Security-Policy: no inline script, nothing from elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if request.resolver_match and request.resolver_match.app_name == "admin":
            # Django's admin templates carry style="" attributes; scripts stay 'self' only.
            policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        response.headers.setdefault("Content-Security-Policy", policy)
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
