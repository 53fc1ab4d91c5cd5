"""The customer's pages in both languages, the new-session form and the back office."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sessions_app.models import PhotoSession, StylePack

from . import images


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_new_session_page_shows_plans_in_the_customers_currency(client, alice, plan, language):
    client.force_login(alice)
    response = client.get(f"/{language}/sessions/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ("₩25,000" in html or "25,000원" in html) if language == "ko" else "$19.00" in html
    for name in ("plan", "styles"):
        assert f'name="{name}"' in html


def test_the_pricing_link_preselects_its_plan(client, alice, plan):
    client.force_login(alice)
    html = client.get("/en/sessions/new/?plan=starter").content.decode()
    assert f'value="{plan.pk}" checked' in html


def test_styles_must_match_the_plan(client, alice, plan):
    client.force_login(alice)
    one = list(StylePack.objects.values_list("pk", flat=True)[:1])
    response = client.post("/en/sessions/new/", {"plan": plan.pk, "styles": one})
    assert response.status_code == 200
    assert b"Please choose exactly 2." in response.content
    assert not PhotoSession.objects.exists()
    # Nonsense ids are a form error too, never a 500.
    response = client.post("/en/sessions/new/", {"plan": "x", "styles": ["999999"]})
    assert response.status_code == 200
    assert not PhotoSession.objects.exists()


def test_a_korean_customer_pays_in_won(client, alice, plan):
    client.force_login(alice)
    styles = list(StylePack.objects.values_list("pk", flat=True)[:2])
    client.post("/ko/sessions/new/", {"plan": plan.pk, "styles": styles})
    s = PhotoSession.objects.get()
    assert (s.currency, s.amount) == ("krw", 25000)


def test_the_dashboard_lists_only_the_customers_sessions(client, alice, bob, make_session):
    mine = make_session(alice, "paid")
    theirs = make_session(bob, "paid")
    client.force_login(alice)
    html = client.get("/en/sessions/").content.decode()
    assert str(mine.public_id) in html and str(theirs.public_id) not in html
    assert "Paid" in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Started on", "Deletion dates: original photos", "are deleted on"]),
        ("ko", ["시작", "삭제 예정일: 원본 사진", "삭제됩니다"]),
    ],
)
def test_each_dashboard_card_links_its_session_and_says_when_its_data_goes(
    client, alice, bob, make_session, language, words
):
    from sessions_app.services import session_transition

    waiting = make_session(alice, "collecting_photos")
    delivered = make_session(alice, "generating")
    session_transition(photo_session=delivered, to_state="delivered", cause="test")
    theirs = make_session(bob, "paid")
    client.force_login(alice)
    html = re.sub(r"\s+", " ", client.get(f"/{language}/sessions/").content.decode())
    for photo_session in (waiting, delivered):
        assert html.count(f'href="/{language}/sessions/{photo_session.public_id}/"') == 2
    assert str(theirs.public_id) not in html
    cards = html.split('class="card session-card"')[1:]
    assert len(cards) == 2 and all(words[0] in card for card in cards)
    assert sum(words[1] in card for card in cards) == 1
    assert sum(words[2] in card for card in cards) == 1


@pytest.mark.parametrize(
    ("state", "text"),
    [
        ("draft", b"Pay for your session"),
        ("paid", b"Give consent and upload photos"),
        ("collecting_photos", b"Upload photos"),
        ("refunded", b"This session was refunded."),
    ],
)
def test_the_session_page_says_what_to_do_next(client, alice, make_session, state, text):
    s = make_session(alice, "paid" if state == "refunded" else state)
    if state == "refunded":
        from sessions_app.services import session_transition

        session_transition(photo_session=s, to_state="refunded", cause="test")
    client.force_login(alice)
    response = client.get(f"/en/sessions/{s.public_id}/")
    assert response.status_code == 200
    assert text in response.content


def test_pages_need_a_login(client, alice, make_session):
    s = make_session(alice, "paid")
    for url in (
        "/en/sessions/",
        f"/en/sessions/{s.public_id}/",
        f"/en/sessions/{s.public_id}/photos/",
    ):
        assert client.get(url).status_code == 302


def test_the_back_office_shows_sessions_with_history_and_verdicts_not_photos(
    client, staff, collecting_session
):
    from django.test import Client

    customer = Client()
    customer.force_login(collecting_session.user)
    customer.post(
        f"/en/sessions/{collecting_session.public_id}/photos/",
        {"photos": [SimpleUploadedFile("a.jpg", images.face_jpeg(0))]},
    )
    client.force_login(staff)
    listing = client.get(
        "/en/backoffice/sessions_app/photosession/?state__exact=collecting_photos&age=1h"
    )
    assert listing.status_code == 200
    page = client.get(f"/en/backoffice/sessions_app/photosession/{collecting_session.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "face-photo consent given" in html  # the transition history
    assert "sharpness" in html.lower()
    # No photo content or link to it: measures only.
    assert "/photos/" not in html and "<img" not in html
    for url in (
        "/en/backoffice/sessions_app/plan/add/",
        "/en/backoffice/sessions_app/stylepack/",
        "/en/backoffice/sessions_app/order/",
        "/en/backoffice/sessions_app/refund/",
        "/en/backoffice/sessions_app/webhookevent/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_demo_catalogue_loads(db):
    from django.core.management import call_command

    from sessions_app.models import Plan

    call_command("load_demo", verbosity=0)
    assert Plan.objects.filter(prices__currency="krw").exists()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_natural_look_is_offered_unticked_and_kept_with_the_session(
    client, alice, plan, language
):
    from generation.models import GenerationJob
    from generation.services.portraits import (
        NATURAL_NEGATIVE,
        NATURAL_PROMPT,
        portraits_plan,
        style_prompts,
    )

    client.force_login(alice)
    html = client.get(f"/{language}/sessions/new/").content.decode()
    label = "Natural look: no retouching" if language == "en" else "자연스러운 모습: 보정 없음"
    assert label in html
    assert 'name="natural" id="id_natural" aria-describedby="natural-help">' in html  # unticked
    styles = list(StylePack.objects.values_list("pk", flat=True)[:2])
    client.post(f"/{language}/sessions/new/", {"plan": plan.pk, "styles": styles})
    client.post(f"/{language}/sessions/new/", {"plan": plan.pk, "styles": styles, "natural": "on"})
    plain, natural = PhotoSession.objects.order_by("id")
    assert (plain.natural, natural.natural) == (False, True)
    page = client.get(f"/{language}/sessions/{natural.public_id}/").content.decode()
    assert "data-natural" in page
    assert (
        "data-natural"
        not in client.get(f"/{language}/sessions/{plain.public_id}/").content.decode()
    )

    # The natural session's portraits are asked for without retouching; the other's are not.
    for photo_session, wanted in ((plain, False), (natural, True)):
        job = GenerationJob.objects.create(photo_session=photo_session, kind="generation")
        prompts = {p.prompt for p in portraits_plan(job=job)}
        assert all((NATURAL_PROMPT in p) == wanted for p in prompts) and prompts
        for style in photo_session.styles.all():
            negative = style_prompts(photo_session=photo_session, style=style)[1]
            assert (NATURAL_NEGATIVE in negative) == wanted


@pytest.mark.parametrize(
    "language, notice, pay",
    [
        ("en", "made by generative AI", "Continue to payment"),
        ("ko", "생성형 인공지능으로 만들어집니다", "결제"),
    ],
)
def test_the_plan_choice_says_the_portraits_are_ai_made_before_payment(
    client, alice, plan, language, notice, pay
):
    client.force_login(alice)
    html = client.get(f"/{language}/sessions/new/").content.decode()
    form = html[html.index('<form method="post" class="form-card"') :]
    assert notice in form
    assert form.index(notice) < form.index(pay)
