from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse, translate_url

from .pagecache import csrf_placeholder
from .seller import seller


def site(request):
    """The language switcher's links (same page, other language) and site-wide flags."""
    path = request.get_full_path()
    return {
        "language_links": [
            (code, name, translate_url(path, code)) for code, name in settings.LANGUAGES
        ],
        "payment_backend": settings.PAYMENT_BACKEND,
        "uses_tiny_model": not settings.PICTUREUS_BASE_MODEL,
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "company_name": settings.PICTUREUS_COMPANY_NAME,
        "company_address": settings.PICTUREUS_COMPANY_ADDRESS,
        "privacy_officer": settings.PICTUREUS_PRIVACY_OFFICER,
        "seller": seller(),
        "get_started_url": get_started_url(request),
        **csrf_placeholder(request),
    }


def get_started_url(request) -> str:
    """Where "Get started" leads: a new session, through sign-up for a visitor."""
    new_session = reverse("sessions_app:new")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return new_session
    return f"{reverse('account_signup')}?{urlencode({'next': new_session})}"
