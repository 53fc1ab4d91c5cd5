"""A visitor reads the privacy policy: its version, its date, its operator, its processors, and
finds the form to exercise their rights."""

import datetime

import pytest

from privacy.models import PolicyVersion

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def policy(transactional_db):
    # The version the migrations publish (v1.1), recreated where an earlier flush removed it.
    return PolicyVersion.objects.get_or_create(
        kind=PolicyVersion.Kind.PRIVACY,
        version="v1.1",
        defaults={
            "effective_date": datetime.date(2026, 11, 28),
            "last_updated": datetime.date(2026, 11, 28),
        },
    )[0]


@pytest.fixture
def processors(transactional_db):
    """Two of the processors the migrations seed (recreated where an earlier flush removed them):
    a brand name, and a descriptive name that has its Korean."""
    from privacy.models import Processor

    common = {"transfer_safeguard_en": "Standard Contractual Clauses"}
    Processor.objects.get_or_create(
        name_en="Stripe",
        defaults={"purpose_en": "Payment processing", "purpose_ko": "결제 처리",
                  "location_en": "United States", "location_ko": "미국",
                  "transfer_safeguard_ko": "표준계약조항(SCC)", **common},
    )  # fmt: skip
    Processor.objects.get_or_create(
        name_en="Email delivery provider",
        defaults={"name_ko": "이메일 발송 업체", "location_en": "European Union",
                  "purpose_en": "Sending account and service emails", "location_ko": "유럽연합",
                  "purpose_ko": "계정 및 서비스 이메일 발송",
                  "transfer_safeguard_ko": "표준계약조항(SCC)", **common},
    )  # fmt: skip


def test_visitor_reads_the_privacy_policy(
    open_visit, catalogue, policy, processors, language, settings
):
    visit = open_visit(language)
    visit.at("home")
    page = visit.goto(f"/{language}/")
    visit.at("privacy policy")
    page = visit.click(page.locator(".site-footer a[href$='/privacy/']"))
    assert page.url.endswith(f"/{language}/privacy/")
    assert page.locator("[data-policy-version]").inner_text() == policy.version
    assert page.locator("[data-policy-updated]").get_attribute("datetime") == (
        policy.last_updated.isoformat()
    )
    assert policy.version == "v1.1"
    assert page.locator("[data-policy-version]").inner_text() == "v1.1"
    assert page.locator("[data-policy-updated]").get_attribute("datetime") == "2026-11-28"
    officer = page.locator("#policy-18 ~ ul").inner_text()
    assert settings.PICTUREUS_PRIVACY_OFFICER in officer
    assert settings.PRIVACY_CONTACT_EMAIL in officer
    assert ("Privacy officer" if language == "en" else "개인정보 보호책임자") in officer
    processors = page.locator("[data-processors] tbody").inner_text()
    assert "Stripe" in processors
    assert ("Email delivery provider" if language == "en" else "이메일 발송 업체") in processors

    visit.at("privacy request form, from the rights section")
    page = visit.click(page.locator("section[aria-labelledby='policy-12'] a[href$='/request/']"))
    assert page.url.endswith(f"/{language}/privacy/request/")
    assert page.locator("main form select[name=type]").is_visible()
