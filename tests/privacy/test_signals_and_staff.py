"""GPC, the cookie banner, processors on the policy page, staff photo views and analytics."""

import pytest

from privacy import services
from privacy.models import AuditEvent, ConsentRecord, Processor

from .conftest import login

pytestmark = pytest.mark.django_db
SALE = ConsentRecord.Purpose.SALE_SHARING


@pytest.mark.promise("P15")
def test_gpc_records_an_opt_out_for_the_browser_and_the_account(client, alice):
    response = client.get("/en/", HTTP_SEC_GPC="1")
    bid = response.cookies["pu_bid"].value
    row = ConsentRecord.objects.get(browser_id=bid, user__isnull=True)
    assert (row.purpose, row.granted, row.method) == (SALE, False, "gpc")
    login(client, alice)
    services.consent_record(user=alice, purpose=SALE, granted=True, method="form")
    from django.core.cache import cache

    cache.clear()
    client.get("/en/privacy/centre/", HTTP_SEC_GPC="1")
    latest = services.consent_latest(user=alice, purpose=SALE)
    assert not latest.granted and latest.method == "gpc"
    # Repeated signals do not pile up rows.
    client.get("/en/", HTTP_SEC_GPC="1")
    assert ConsentRecord.objects.filter(method="gpc").count() == 2


def test_no_gpc_signal_records_nothing(client):
    client.get("/en/")
    assert not ConsentRecord.objects.exists()


@pytest.mark.promise("P21")
@pytest.mark.parametrize("lang, text", [("en", "Only necessary cookies"), ("ko", "필수 쿠키만")])
def test_only_necessary_cookies_until_the_visitor_chooses(client, lang, text):
    response = client.get(f"/{lang}/")
    page = response.content.decode()
    assert "data-cookie-banner" in page and text in page
    necessary = {"csrftoken", "sessionid", "django_language", "pu_bid", "pu_consent"}
    assert set(response.cookies) <= necessary
    response = client.post(
        f"/{lang}/privacy/cookies/", {"choice": "reject", "next": f"/{lang}/pricing/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/{lang}/pricing/"
    assert response.cookies["pu_consent"].value == "reject"
    row = ConsentRecord.objects.get(purpose="cookies_optional")
    assert not row.granted and row.method == "cookie_banner" and row.browser_id
    assert "data-cookie-banner" not in client.get(f"/{lang}/").content.decode()


def test_a_bad_cookie_choice_changes_nothing(client):
    response = client.post(
        "/en/privacy/cookies/", {"choice": "maybe", "next": "https://evil.example/"}
    )
    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()
    ok = client.post("/en/privacy/cookies/", {"choice": "accept", "next": "https://evil.example/"})
    assert ok["Location"] == "/en/"


@pytest.mark.promise("P18")
@pytest.mark.promise("P19")
@pytest.mark.parametrize(
    "lang, safeguard", [("en", "Standard Contractual Clauses"), ("ko", "표준계약조항")]
)
def test_the_policy_page_lists_processors_with_their_transfer_safeguards(client, lang, safeguard):
    Processor.objects.create(
        name_en="Inference Cloud Ltd", purpose_en="GPU time", purpose_ko="GPU 연산",
        location_en="Japan", location_ko="일본", transfer_safeguard_en="Adequacy decision",
        transfer_safeguard_ko="적정성 결정",
    )  # fmt: skip
    Processor.objects.create(
        name_en="Retired Vendor", purpose_en="x", purpose_ko="x", location_en="x",
        transfer_safeguard_en="x", transfer_safeguard_ko="x", active=False,
    )  # fmt: skip
    page = client.get(f"/{lang}/privacy/").content.decode()
    assert "Stripe" in page and "Inference Cloud Ltd" in page
    assert ("Japan" if lang == "en" else "일본") in page
    assert safeguard in page
    assert ("Adequacy decision" if lang == "en" else "적정성 결정") in page
    assert "Retired Vendor" not in page


@pytest.fixture
def support(db):
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user(email="support@example.com", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    return user


@pytest.fixture
def officer(db):
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user(email="po@example.com", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Privacy officer"))
    return user


@pytest.mark.promise("P24")
def test_every_staff_view_of_a_customers_photo_is_audited(
    client, alice, bob, make_session, support, officer
):
    from generation.models import Portrait
    from sessions_app.models import SourcePhoto

    make_session(alice)
    photo = SourcePhoto.objects.first()
    portrait = Portrait.objects.first()
    # Customers and support staff (no photo content) are refused, and that is recorded too.
    for user in (bob, support):
        client.force_login(user)
        assert client.get(f"/en/privacy/staff/photo/original/{photo.pk}/").status_code == 403
    assert not AuditEvent.objects.filter(action="staff.photo_view").exists()
    assert AuditEvent.objects.filter(action="staff.photo_view_refused").count() == 2
    client.force_login(officer)
    response = client.get(f"/en/privacy/staff/photo/original/{photo.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"photo 0")
    client.get(f"/en/privacy/staff/photo/portrait/{portrait.pk}/")
    views = AuditEvent.objects.filter(action="staff.photo_view").order_by("id")
    assert [(v.actor, v.subject, v.object_type) for v in views] == [
        (officer, alice, "sessions_app.sourcephoto"),
        (officer, alice, "generation.portrait"),
    ]


@pytest.mark.promise("P24")
def test_staff_roles_are_least_privilege(support, officer):
    assert support.has_perm("sessions_app.view_photosession")
    assert support.has_perm("sessions_app.view_order")
    assert not support.has_perm("sessions_app.view_sourcephoto")
    assert not support.has_perm("generation.view_portrait")
    assert not support.has_perm("privacy.view_datasubjectrequest")
    assert officer.has_perm("privacy.change_datasubjectrequest")
    assert officer.has_perm("privacy.add_legalhold")
    assert not officer.has_perm("privacy.change_consentrecord")
    assert not officer.has_perm("privacy.delete_deletionreceipt")


@pytest.mark.promise("P07")
def test_the_privacy_dashboard_shows_counts_and_rates_never_people(
    client, alice, bob, officer, support
):
    services.consent_record(user=alice, purpose="model_improvement", granted=True, method="form")
    services.consent_record(user=bob, purpose="model_improvement", granted=False, method="form")
    services.dsr_create(type="access", channel="visitor", email=alice.email, region="US")
    client.force_login(officer)
    # The old address on the customer site leads to the back office.
    moved = client.get("/en/privacy/staff/dashboard/")
    assert moved.status_code == 301 and moved["Location"] == "/en/backoffice/privacy-figures/"
    page = client.get("/en/backoffice/privacy-figures/").content.decode()
    assert "50%" in page
    assert alice.email not in page and bob.email not in page and "Alice" not in page
    assert "/staff/photo/" not in page and "/originals/" not in page
    # Labels, never the stored codes, in the reader's language.
    assert ">Access to my data<" in page
    assert ">access<" not in page
    korean = client.get("/ko/backoffice/privacy-figures/").content.decode()
    assert "동의" in korean and ">access<" not in korean
    # Staff without the privacy officer's right is refused; a customer never gets in.
    client.force_login(support)
    assert client.get("/en/backoffice/privacy-figures/").status_code == 403
    client.force_login(bob)
    assert client.get("/en/backoffice/privacy-figures/").status_code == 302
