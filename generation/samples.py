"""The site's sample gallery of real portraits (P06).

Operators feature delivered portraits of customers who gave the separate marketing-likeness
consent; the site shows each one only while that consent stands, checked whenever a page is
built. A withdrawal, a decline or a restriction removes the customer's samples at once (the
privacy registry calls `samples_consent_ended`), and erasure and the retention sweep delete
them with the portrait.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from privacy.models import ConsentRecord
from privacy.services import audit_log, consent_is_current
from sessions_app.models import PhotoSession

from .models import FeaturedPortrait, GenerationJob, Portrait

MARKETING = ConsentRecord.Purpose.MARKETING_LIKENESS
DELIVERED = (PhotoSession.State.DELIVERED, PhotoSession.State.ORIGINALS_DELETED)
# The gallery shows at most this many real samples.
SHOWN_AT_MOST = 12


class SampleRefused(Exception):
    """A portrait that cannot be featured; the message tells the operator why."""


def portraits_delivered() -> QuerySet:
    """Portraits a customer has received: a finished job's, with both files, in a session that
    is delivered."""
    return (
        Portrait.objects.filter(
            photo_session__state__in=DELIVERED,
            photo_session__user__is_active=True,
            job__state=GenerationJob.State.SUCCEEDED,
        )
        .exclude(image="")
        .exclude(preview="")
    )


def customer_allows_marketing(user) -> bool:
    """Whether the customer's marketing-likeness consent stands now (P06)."""
    return consent_is_current(user=user, purpose=MARKETING)


def sample_refusal(*, portrait: Portrait) -> str | None:
    """Why `portrait` cannot be featured now, in the operator's language; None when it can."""
    if not portraits_delivered().filter(pk=portrait.pk).exists():
        return _("Only a portrait delivered to its customer can be featured.")
    if not customer_allows_marketing(portrait.photo_session.user):
        return _(
            "This customer has not agreed to have their portraits shown in marketing, or has "
            "withdrawn that agreement. Their portrait cannot be featured."
        )
    if FeaturedPortrait.objects.filter(portrait=portrait).exists():
        return _("This portrait is already featured.")
    return None


def sample_candidates(*, limit: int = 60) -> list[Portrait]:
    """Portraits an operator may feature now, newest first: delivered, not yet featured, of
    customers whose marketing consent stands."""
    granted_once = ConsentRecord.objects.filter(purpose=MARKETING, granted=True).values("user")
    portraits = (
        portraits_delivered()
        .filter(photo_session__user__in=granted_once, featured__isnull=True)
        .select_related("style", "photo_session__user")
        .order_by("-created_at", "-id")
    )
    return _of_consenting(portraits, lambda portrait: portrait.photo_session.user, limit)


def _of_consenting(rows, user_of, limit: int) -> list:
    """The first `limit` of `rows` whose customer's marketing consent stands now (asked once
    per customer)."""
    found, allowed = [], {}
    for row in rows:
        user = user_of(row)
        if user.pk not in allowed:
            allowed[user.pk] = customer_allows_marketing(user)
        if allowed[user.pk]:
            found.append(row)
            if len(found) == limit:
                break
    return found


def sample_feature(*, portrait: Portrait, actor: User | None, order: int = 0) -> FeaturedPortrait:
    """Feature a delivered portrait in the site's sample gallery, if its customer allows it."""
    with transaction.atomic():
        refusal = sample_refusal(portrait=portrait)
        if refusal:
            raise SampleRefused(refusal)
        featured = FeaturedPortrait.objects.create(
            portrait=portrait, order=order, featured_by=actor
        )
        audit_log(
            action="sample.featured",
            actor=actor,
            subject=portrait.photo_session.user,
            obj=featured,
            detail={"portrait": portrait.pk},
        )
    return featured


def sample_unfeature(*, featured: FeaturedPortrait, actor: User | None) -> None:
    """Take a portrait out of the site's sample gallery."""
    with transaction.atomic():
        audit_log(
            action="sample.unfeatured",
            actor=actor,
            subject=featured.portrait.photo_session.user,
            obj=featured,
            detail={"portrait": featured.portrait_id},
        )
        featured.delete()


def samples_consent_ended(*, user) -> int:
    """The customer's marketing consent ended: their samples leave the site now. Returns how
    many were removed."""
    featured = list(FeaturedPortrait.objects.filter(portrait__photo_session__user=user))
    with transaction.atomic():
        for each in featured:
            audit_log(
                action="sample.removed",
                subject=user,
                obj=each,
                detail={"portrait": each.portrait_id, "reason": "consent ended"},
            )
        # Deleting the rows also retires the cached pages that showed them.
        FeaturedPortrait.objects.filter(pk__in=[each.pk for each in featured]).delete()
    return len(featured)


def _featured_rows() -> QuerySet:
    return FeaturedPortrait.objects.filter(portrait__in=portraits_delivered()).select_related(
        "portrait__style", "portrait__photo_session__user"
    )


def samples_shown() -> list[FeaturedPortrait]:
    """The featured portraits the site shows now, in their order: only of customers whose
    marketing consent stands at this moment."""
    return _of_consenting(
        _featured_rows(), lambda featured: featured.portrait.photo_session.user, SHOWN_AT_MOST
    )


def sample_shown(*, public_id) -> FeaturedPortrait | None:
    """One featured portrait by its public id, while the site may show it (None otherwise)."""
    featured = _featured_rows().filter(public_id=public_id).first()
    if featured is None or not customer_allows_marketing(featured.portrait.photo_session.user):
        return None
    return featured
