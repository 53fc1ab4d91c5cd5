from django.conf import settings
from django.urls import translate_url

from .pagecache import csrf_placeholder


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
        **csrf_placeholder(request),
    }
