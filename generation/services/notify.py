"""The emails generation sends: the customer's gallery ready (or failed and refunded), and the
operators' note when too few portraits looked like the customer."""

from django.conf import settings
from django.urls import reverse

from generation.models import GenerationJob
from pictureus.mail import send_templated, site_url
from pictureus.timezones import zone_for_user
from sessions_app.models import Order, PhotoSession

from .gallery import gallery_shortfall
from .offers import addon_offer


def email_customer(photo_session_id: int, which: str) -> None:
    """Tell the customer their gallery is ready, or that it failed and was refunded."""
    photo_session = PhotoSession.objects.select_related("user").get(pk=photo_session_id)
    user = photo_session.user
    short = gallery_shortfall(photo_session=photo_session)
    send_templated(
        to=[user.email],
        template_prefix=f"generation/email/{which}",
        context={
            "user": user,
            "photo_session": photo_session,
            "url": site_url(
                reverse("generation:gallery", kwargs={"public_id": photo_session.public_id})
            ),
            "shortfall": [
                {"style": style, "delivered": numbers[0], "promised": numbers[1]}
                for style in photo_session.styles.all()
                if (numbers := short.get(style.pk))
            ],
            "addon": addon_offer(photo_session=photo_session) if which == "ready" else None,
        },
        language=user.preferred_language,
        time_zone=zone_for_user(user),
    )


def email_addon(order_id: int, which: str) -> None:
    """Tell the customer their extra styles are in the gallery ("addon_ready"), or could not be
    made and are refunded ("addon_failed")."""
    order = Order.objects.select_related("photo_session__user").get(pk=order_id)
    photo_session = order.photo_session
    user = photo_session.user
    short = gallery_shortfall(photo_session=photo_session)
    styles = list(order.styles.order_by("order", "id"))
    send_templated(
        to=[user.email],
        template_prefix=f"generation/email/{which}",
        context={
            "user": user,
            "order": order,
            "styles": styles,
            "url": site_url(
                reverse("generation:gallery", kwargs={"public_id": photo_session.public_id})
            ),
            "shortfall": [
                {"style": style, "delivered": numbers[0], "promised": numbers[1]}
                for style in styles
                if (numbers := short.get(style.pk))
            ],
        },
        language=user.preferred_language,
        time_zone=zone_for_user(user),
    )


def email_operators_shortfall(job_id: int) -> None:
    job = GenerationJob.objects.select_related("photo_session").get(pk=job_id)
    styles = {str(s.pk): s for s in job.photo_session.styles.all()}
    send_templated(
        to=settings.OPERATORS_EMAIL,
        template_prefix="generation/email/shortfall",
        context={
            "job": job,
            "photo_session": job.photo_session,
            "rows": [
                (styles[key].name if key in styles else key, *numbers)
                for key, numbers in job.shortfall.items()
            ],
        },
        language=settings.LANGUAGE_CODE,
    )
