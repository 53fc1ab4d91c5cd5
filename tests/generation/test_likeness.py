"""Portraits by likeness to their customer: the gallery's order, the operator's numbers
(scoring itself: tests/sessions/test_likeness.py)."""

import pytest

from generation.services.notify import email_customer
from generation.services.plans import candidates_per_style
from generation.services.portraits import candidate_add, candidates_short, portraits_choose

from .test_gallery import delivered  # noqa: F401 - the fixture


def _plant(delivered, scores):  # noqa: F811 - the fixture's value
    style = delivered.styles.order_by("order", "id").first()
    portraits = list(delivered.portraits.filter(style=style).order_by("index"))
    for portrait, score in zip(portraits, scores, strict=True):
        portrait.likeness = score
        portrait.save(update_fields=["likeness"])
    return portraits


def test_the_gallery_shows_each_style_most_alike_first(client, alice, delivered):  # noqa: F811
    low, high = _plant(delivered, [0.55, 0.81])
    client.force_login(alice)
    html = client.get(f"/en/studio/{delivered.public_id}/").content.decode()
    assert html.index(f"/portraits/{high.pk}/") < html.index(f"/portraits/{low.pk}/")


def test_operators_see_the_likeness_of_a_sessions_portraits_as_numbers(
    client,
    staff,
    delivered,  # noqa: F811
):
    _plant(delivered, [0.42, 0.81])
    client.force_login(staff)
    html = client.get(
        f"/en/backoffice/sessions_app/photosession/{delivered.pk}/change/"
    ).content.decode()
    assert (
        "2 scored: lowest 0.42, median 0.61, highest 0.81; 1 below the same-person threshold "
        "(0.50); 2 without a recognisable face."
    ) in html


def _candidates(job, style, scores):
    """Candidates of one style as a real model would leave them: files and a score each."""
    from django.core.files.base import ContentFile

    from generation.models import Portrait

    made = []
    for score in scores:
        portrait = candidate_add(job=job, style=style)
        portrait.image.save("c.png", ContentFile(b"png"), save=False)
        portrait.preview.save("c.webp", ContentFile(b"webp"), save=False)
        portrait.likeness = score
        portrait.save()
        made.append(portrait)
    assert all(isinstance(p, Portrait) for p in made)
    return made


@pytest.fixture
def checked(delivered, settings):  # noqa: F811
    """A real base model is configured: portraits are checked; a new generation job runs."""
    from generation.models import GenerationJob

    settings.PICTUREUS_BASE_MODEL = "/models/sd15"
    delivered.portraits.all().delete()
    job = GenerationJob.objects.create(photo_session=delivered, kind="generation", state="running")
    return job, list(delivered.styles.order_by("order", "id"))


def test_the_most_alike_candidates_are_delivered_and_no_others(
    checked, django_capture_on_commit_callbacks
):
    from privacy.models import DeletionReceipt

    job, (studio, outdoor) = checked
    assert candidates_per_style(job.photo_session.plan) == 3  # 2 promised x 1.5
    keep_studio = _candidates(job, studio, [0.8, None, 0.61])
    keep_outdoor = _candidates(job, outdoor, [0.9, 0.44, 0.7])
    assert candidates_short(job=job) == []
    receipts = DeletionReceipt.objects.count()

    with django_capture_on_commit_callbacks(execute=True):  # the deleted files go at commit
        assert portraits_choose(job=job) == {}
    kept = {(p.style_id, p.likeness) for p in job.portraits.all()}
    assert kept == {(studio.pk, 0.8), (studio.pk, 0.61), (outdoor.pk, 0.9), (outdoor.pk, 0.7)}
    # The face-less and the unlike candidates are deleted, files and all, with receipts.
    assert DeletionReceipt.objects.count() == receipts + 4
    for gone in (keep_studio[1], keep_outdoor[1]):
        assert not gone.image.storage.exists(gone.image.name)


def test_too_few_alike_candidates_get_more_within_a_budget_then_the_customer_is_told(
    client, alice, checked, django_capture_on_commit_callbacks, mailoutbox
):
    job, (studio, outdoor) = checked
    _candidates(job, studio, [0.3, None, 0.55])
    _candidates(job, outdoor, [0.9, 0.8, 0.7])
    # One more candidate for the studio style, and again, until the budget (2 more) is spent.
    assert candidates_short(job=job) == [studio]
    _candidates(job, studio, [0.2])
    assert candidates_short(job=job) == [studio]
    _candidates(job, studio, [None])
    assert candidates_short(job=job) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert portraits_choose(job=job) == {str(studio.pk): [1, 2]}
    (to_operators,) = mailoutbox
    assert "too few portraits looked like the customer" in to_operators.subject
    assert "Studio: 1 of 2 delivered" in to_operators.body
    assert list(job.portraits.filter(style=studio).values_list("likeness", flat=True)) == [0.55]

    type(job).objects.filter(pk=job.pk).update(state="succeeded")
    client.force_login(alice)
    for language, words in (
        ("en", "Only 1 of the 2 portraits promised in this style looked enough like you"),
        ("ko", "이 스타일로 약속드린 인물 사진 2장 중 회원님과 충분히 닮은 사진은 1장뿐이었습니다"),
    ):
        html = client.get(f"/{language}/studio/{job.photo_session.public_id}/").content.decode()
        assert html.count("data-shortfall") == 1 and words in html
    # The "your portraits are ready" email says it too.
    email_customer(job.photo_session.pk, "ready")
    ready = mailoutbox[-1]
    assert "Studio: only 1 of 2 portraits looked enough like you" in " ".join(ready.body.split())


def test_the_tiny_models_placeholders_are_delivered_unchecked(delivered, settings):  # noqa: F811
    from generation.models import GenerationJob

    settings.PICTUREUS_BASE_MODEL = ""
    job = GenerationJob.objects.create(photo_session=delivered, kind="generation", state="running")
    style = delivered.styles.first()
    assert candidates_per_style(delivered.plan) == delivered.plan.images_per_style
    _candidates(job, style, [None, None])
    assert candidates_short(job=job) == []
    assert portraits_choose(job=job) == {}
    assert job.portraits.count() == 2
