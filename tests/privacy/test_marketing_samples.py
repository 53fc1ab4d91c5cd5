"""The sample gallery of real portraits: curated by operators, shown only with the customer's
marketing-likeness consent, and gone the moment that consent, the account or the portrait is
(P06).

Alice agreed to marketing use of her portraits; Bob never did. Operators feature portraits in
the back office; visitors see them on the home and features pages, served from the page cache.
"""

import datetime
import io
import re

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from generation.models import FeaturedPortrait, Portrait
from privacy import services
from privacy.models import AuditEvent, DeletionReceipt

from .conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.promise("P06")]

SAMPLE_SRC = re.compile(r'<img src="(/samples/[0-9a-f-]{36}\.webp)" alt="([^"]*)"')
REAL_NOTE = {
    "en": "These are portraits of real PictureUs customers, shown with their permission.",
    "ko": "실제 PictureUs 고객의 인물 사진이며, 고객의 허락을 받아 보여 드립니다.",
}
DRAWN_NOTE = {
    "en": "These are drawn illustrations of each style, not photos of real customers.",
    "ko": "스타일별로 그린 일러스트이며, 실제 고객의 사진이 아닙니다.",
}
ADD_URL = "/en/backoffice/generation/featuredportrait/add/"


@pytest.fixture(autouse=True)
def illustrated_styles(plan):
    from sessions_app.models import StylePack

    StylePack.objects.update(
        preview_image="img/samples/studio.svg",
        preview_alt_en="A drawn studio portrait",
        preview_alt_ko="그림으로 그린 스튜디오 인물 사진",
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit, as the end of a real request does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def portrait_of(photo_session) -> Portrait:
    return Portrait.objects.get(photo_session=photo_session)


def marketing_choice(user, *, granted: bool) -> None:
    """The customer's own choice, made in the privacy centre."""
    customer = login(Client(), user)
    choice = {"purpose": "marketing_likeness", "granted": "1" if granted else "0"}
    assert customer.post("/en/privacy/centre/consent/", choice).status_code == 302


def feature(operator_client, portrait, order=0):
    return operator_client.post(ADD_URL, {"portrait": portrait.pk, "order": order})


@pytest.fixture
def operator(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def alices_sample(alice, make_session, operator, committed):
    """Alice agreed to marketing use; an operator featured her portrait in the back office."""
    photo_session = make_session(alice)
    marketing_choice(alice, granted=True)
    with committed():
        response = feature(operator, portrait_of(photo_session))
    assert response.status_code == 302
    return FeaturedPortrait.objects.get(portrait__photo_session=photo_session)


def samples_on(page: str) -> list[tuple[str, str]]:
    return SAMPLE_SRC.findall(page)


def cached_home(lang="en") -> str:
    """The home page a visitor gets, proven to come from the page cache."""
    visitor = Client()
    page = visitor.get(f"/{lang}/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = visitor.get(f"/{lang}/").content.decode()
    assert len(queries) == 0, "the home page was not served from the cache"
    assert samples_on(again) == samples_on(page)
    return page


# --- what visitors see ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_until_an_operator_features_a_portrait_the_illustrations_stay_labelled_as_drawn(
    client, alice, make_session, lang
):
    marketing_choice(alice, granted=True)
    make_session(alice)  # a consenting customer's portrait is not shown until it is featured
    for path in (f"/{lang}/", f"/{lang}/features/"):
        page = client.get(path).content.decode()
        assert '<img src="/static/img/samples/studio.svg"' in page
        assert DRAWN_NOTE[lang] in page and REAL_NOTE[lang] not in page
        assert samples_on(page) == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_featured_portrait_of_a_customer_who_agreed_shows_without_revealing_them(
    alice, alices_sample, lang
):
    photo_session = alices_sample.portrait.photo_session
    for path in (f"/{lang}/", f"/{lang}/features/"):
        page = Client().get(path).content.decode()
        assert REAL_NOTE[lang] in page and DRAWN_NOTE[lang] not in page
        assert samples_on(page) == [
            (f"/samples/{alices_sample.public_id}.webp", expected_alt(lang, alices_sample))
        ]
        for personal in (alice.email, alice.display_name, str(photo_session.public_id)):
            assert personal not in page
    # The hero keeps its drawn illustrations, captioned as such.
    assert '<img src="/static/img/samples/studio.svg"' in Client().get(f"/{lang}/").content.decode()

    image = Client().get(f"/samples/{alices_sample.public_id}.webp")
    assert image.status_code == 200 and image["Content-Type"] == "image/webp"
    assert b"".join(image.streaming_content) == b"preview"
    assert image["Cache-Control"] == "no-cache"  # the browser asks again each time
    again = Client().get(image.wsgi_request.path, HTTP_IF_NONE_MATCH=image["ETag"])
    assert again.status_code == 304


def expected_alt(lang, featured) -> str:
    style = featured.portrait.style
    if lang == "en":
        return f"A customer&#x27;s portrait in the {style.name_en} style"
    return f"{style.name_ko} 스타일로 만든 고객의 인물 사진"


def test_samples_keep_the_order_the_operators_gave(alice, make_session, operator, committed):
    marketing_choice(alice, granted=True)
    first, second = make_session(alice), make_session(alice)
    with committed():
        feature(operator, portrait_of(first), order=2)
        feature(operator, portrait_of(second), order=1)
    shown = [src for src, _ in samples_on(Client().get("/en/").content.decode())]
    ids = [
        FeaturedPortrait.objects.get(portrait__photo_session=s).public_id for s in (second, first)
    ]
    assert shown == [f"/samples/{public_id}.webp" for public_id in ids]


# --- what operators may do ------------------------------------------------------------------


def test_the_back_office_offers_only_portraits_of_customers_who_agreed(
    alice, bob, make_session, operator
):
    marketing_choice(alice, granted=True)
    alices = portrait_of(make_session(alice))
    bobs = portrait_of(make_session(bob))
    page = operator.get(ADD_URL).content.decode()
    assert f'value="{alices.pk}"' in page and f'value="{bobs.pk}"' not in page
    # Each thumbnail comes through the audited staff photo view.
    assert f"/en/privacy/staff/photo/portrait/{alices.pk}/" in page


@pytest.mark.parametrize("choice", ["never asked", "declined", "withdrawn"])
def test_the_back_office_refuses_a_customer_who_has_not_agreed(bob, make_session, operator, choice):
    bobs = portrait_of(make_session(bob))
    if choice == "declined":
        marketing_choice(bob, granted=False)
    if choice == "withdrawn":
        marketing_choice(bob, granted=True)
        marketing_choice(bob, granted=False)
    response = feature(operator, bobs)
    assert response.status_code == 200
    assert "This customer has not agreed to have their portraits shown in marketing" in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert not FeaturedPortrait.objects.exists()
    assert not AuditEvent.objects.filter(action="sample.featured").exists()


def test_a_portrait_not_yet_delivered_cannot_be_featured(alice, make_session, operator):
    marketing_choice(alice, granted=True)
    photo_session = make_session(alice, state="generating")
    response = feature(operator, portrait_of(photo_session))
    assert "Only a portrait delivered to its customer can be featured." in response.content.decode()
    assert not FeaturedPortrait.objects.exists()


def test_a_sample_made_without_consent_never_shows(client, alice, bob, make_session, alices_sample):
    # A row made straight in the database, past the back office's check.
    bobs = FeaturedPortrait.objects.create(portrait=portrait_of(make_session(bob)), order=0)
    shown = [src for src, _ in samples_on(client.get("/en/").content.decode())]
    assert shown == [f"/samples/{alices_sample.public_id}.webp"]
    assert client.get(f"/samples/{bobs.public_id}.webp").status_code == 404


def test_with_only_samples_made_without_consent_the_illustrations_stay(client, bob, make_session):
    bobs = FeaturedPortrait.objects.create(portrait=portrait_of(make_session(bob)), order=0)
    page = client.get("/en/").content.decode()
    assert samples_on(page) == [] and DRAWN_NOTE["en"] in page
    assert client.get(f"/samples/{bobs.public_id}.webp").status_code == 404


def officer_with(email, *codenames):
    from accounts.models import User

    user = User.objects.create_user(email=email, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Privacy officer"))
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="generation", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)


def test_featuring_needs_its_own_right_and_the_right_to_see_portraits(client, alice, make_session):
    from accounts.models import User

    marketing_choice(alice, granted=True)
    alices = portrait_of(make_session(alice))
    # The privacy officer may see portraits, but featuring is a right of its own.
    client.force_login(officer_with("officer@example.com"))
    assert client.get(ADD_URL).status_code == 403
    assert feature(client, alices).status_code == 403
    # A shop admin given the right to feature still may not see customers' portraits.
    shop_admin = User.objects.create_user(email="shop@example.com", password="x", is_staff=True)
    shop_admin.groups.add(Group.objects.get(name="Admin"))
    shop_admin.user_permissions.add(Permission.objects.get(codename="add_featuredportrait"))
    client.force_login(shop_admin)
    assert client.get(ADD_URL).status_code == 403
    # A customer never gets in.
    client.force_login(alice)
    assert client.get(ADD_URL).status_code == 302
    assert not FeaturedPortrait.objects.exists()

    curator = officer_with("curator@example.com", "add_featuredportrait", "view_featuredportrait")
    client.force_login(curator)
    assert feature(client, alices).status_code == 302
    assert FeaturedPortrait.objects.get().featured_by == curator


def test_featuring_and_taking_off_are_in_the_audit_log(
    alice, staff, operator, alices_sample, committed
):
    event = AuditEvent.objects.get(action="sample.featured")
    assert (event.actor, event.subject, event.object_id) == (staff, alice, str(alices_sample.pk))
    listing = operator.get("/en/backoffice/generation/featuredportrait/").content.decode()
    assert f"/samples/{alices_sample.public_id}.webp" in listing

    assert samples_on(cached_home())
    delete = f"/en/backoffice/generation/featuredportrait/{alices_sample.pk}/delete/"
    with committed():
        assert operator.post(delete, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="sample.unfeatured")
    assert (event.actor, event.subject) == (staff, alice)
    assert samples_on(Client().get("/en/").content.decode()) == []


# --- consent ends, the account goes, the portrait goes ---------------------------------------


def withdraw_in_the_centre(alice, bob, make_session):
    marketing_choice(alice, granted=False)


def restrict_processing(alice, bob, make_session):
    services.restriction_place(user=alice, kind="objection")


def decline_at_a_new_sessions_consent_gate(alice, bob, make_session):
    paid = make_session(alice, state="paid", files=False)
    customer = login(Client(), alice)
    gate = f"/en/sessions/{paid.public_id}/consent/"
    assert customer.post(gate, {"face_photos": "on", "only_me": "on"}).status_code == 302


@pytest.mark.parametrize(
    "consent_ends",
    [withdraw_in_the_centre, restrict_processing, decline_at_a_new_sessions_consent_gate],
)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_when_consent_ends_the_portrait_leaves_the_next_page_at_once(
    alice, bob, make_session, alices_sample, committed, consent_ends, lang
):
    assert samples_on(cached_home(lang))
    with committed():
        consent_ends(alice, bob, make_session)
    page = Client().get(f"/{lang}/").content.decode()
    assert samples_on(page) == [] and DRAWN_NOTE[lang] in page
    assert Client().get(f"/samples/{alices_sample.public_id}.webp").status_code == 404
    assert not FeaturedPortrait.objects.exists()
    removed = AuditEvent.objects.get(action="sample.removed")
    assert removed.subject == alice and removed.detail["reason"] == "consent ended"
    # Agreeing again does not put it back on the site: an operator would feature it anew.
    marketing_choice(alice, granted=True)
    assert samples_on(Client().get(f"/{lang}/").content.decode()) == []


def test_a_withdrawal_leaves_other_customers_samples_on_the_site(
    alice, bob, make_session, operator, alices_sample, committed
):
    marketing_choice(bob, granted=True)
    with committed():
        feature(operator, portrait_of(make_session(bob)))
    bobs = FeaturedPortrait.objects.get(portrait__photo_session__user=bob)
    assert len(samples_on(cached_home())) == 2
    with committed():
        marketing_choice(alice, granted=False)
    shown = [src for src, _ in samples_on(Client().get("/en/").content.decode())]
    assert shown == [f"/samples/{bobs.public_id}.webp"]


@pytest.mark.promise("P11")
def test_account_erasure_takes_the_portrait_off_the_site(alice, alices_sample, committed):
    assert samples_on(cached_home())
    customer = login(Client(), alice)
    with committed():
        response = customer.post(
            "/en/privacy/centre/delete-account/", {"password": "pw-Customer-123"}
        )
    assert response.status_code == 200
    assert samples_on(Client().get("/en/").content.decode()) == []
    assert Client().get(f"/samples/{alices_sample.public_id}.webp").status_code == 404
    assert not FeaturedPortrait.objects.exists()
    assert DeletionReceipt.objects.filter(what="1 site sample portraits deleted").exists()


@pytest.mark.promise("P09")
def test_the_retention_sweep_takes_the_portrait_off_the_site_with_its_gallery(
    alice, alices_sample, committed
):
    delivered_at = alices_sample.portrait.photo_session.delivered_at
    with time_machine.travel(delivered_at + datetime.timedelta(days=95), tick=False):
        assert samples_on(cached_home())
        with committed():
            call_command("retention_sweep", stdout=io.StringIO())
        assert not Portrait.objects.filter(pk=alices_sample.portrait_id).exists()
        assert samples_on(Client().get("/en/").content.decode()) == []
        assert Client().get(f"/samples/{alices_sample.public_id}.webp").status_code == 404
    assert not FeaturedPortrait.objects.exists()


@pytest.mark.promise("P12")
def test_the_export_lists_the_customers_samples_and_no_one_elses(
    alice, bob, make_session, alices_sample
):
    FeaturedPortrait.objects.create(portrait=portrait_of(make_session(bob)))
    exported = services.export_data(user=alice)["site_samples"]
    assert [row["public_id"] for row in exported] == [str(alices_sample.public_id)]
    assert "featured_by" not in exported[0]
    assert services.export_data(user=bob)["site_samples"][0]["portrait"] != exported[0]["portrait"]
