"""A visitor reads the privacy policy: its version, its date and its processors."""

import datetime

import pytest

from privacy.models import PolicyVersion

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def policy(transactional_db):
    # The version the migrations seed, or one like it where an earlier flush removed it.
    return PolicyVersion.current(PolicyVersion.Kind.PRIVACY) or PolicyVersion.objects.create(
        kind=PolicyVersion.Kind.PRIVACY,
        version="1.0",
        effective_date=datetime.date(2025, 1, 1),
        last_updated=datetime.date(2025, 1, 1),
    )


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


def test_visitor_reads_the_privacy_policy(open_visit, catalogue, policy, processors, language):
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
    processors = page.locator("[data-processors] tbody").inner_text()
    assert "Stripe" in processors
    assert ("Email delivery provider" if language == "en" else "이메일 발송 업체") in processors
