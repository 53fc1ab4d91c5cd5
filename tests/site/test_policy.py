"""The privacy policy page: the complete v1.0 text, in English and Korean, with the version and
the last-updated date of the policy-version record."""

import datetime
import re
from pathlib import Path

import pytest

from .helpers import html_lang, page_text

pytestmark = pytest.mark.django_db

SEED = (
    Path(__file__).resolve().parents[2] / "privacy" / "policy_texts" / "privacy-policy-v1.0.en.txt"
)


def policy_paragraphs():
    """Every paragraph and list item of the policy body, from "Operator:" through section 15."""
    text = SEED.read_text(encoding="utf-8")
    body = text[text.index("Operator:") : text.index("\n---")]
    pieces = []
    for line in body.splitlines():
        line = line.strip().lstrip("•").strip()
        if not line:
            continue
        # The seed writes a section's bullets on one line: "- one. - two. - three."
        pieces.extend(p.strip() for p in re.split(r"(?:^|\s)- ", line) if p.strip())
    return pieces


def test_the_seed_splits_into_the_policys_paragraphs():
    pieces = policy_paragraphs()
    assert pieces[0].startswith("Operator:")
    assert pieces[-1].startswith("Privacy inquiries:")
    assert len(pieces) > 50


@pytest.mark.promise("P26")
def test_the_english_policy_is_complete(client):
    text = page_text(client.get("/en/privacy/"))
    missing = []
    for piece in policy_paragraphs():
        # Headings are numbered in the seed ("1. Scope"); the page numbers them the same way.
        if piece not in text:
            missing.append(piece)
    assert not missing, missing


@pytest.mark.promise("P26")
def test_the_korean_policy_is_translated_throughout(client):
    response = client.get("/ko/privacy/")
    assert html_lang(response) == "ko"
    text = page_text(response)
    assert "개인정보 처리방침" in text
    assert "1. 적용 범위" in text and "15. 문의" in text
    # No paragraph of the English text is left on the Korean page.
    left = [p for p in policy_paragraphs() if len(p) > 30 and p in text]
    assert not left, left


@pytest.mark.promise("P20")
@pytest.mark.promise("P26")
def test_the_policy_shows_its_version_and_date_from_the_record(
    client, django_capture_on_commit_callbacks
):
    from privacy.models import PolicyVersion

    english = page_text(client.get("/en/privacy/"))
    assert "Version v1.0" in english and "Last updated April 6, 2026" in english
    korean = page_text(client.get("/ko/privacy/"))
    assert "버전 v1.0" in korean and "최종 수정일 2026년 4월 6일" in korean

    # A new version is a new record; the page follows it once it is committed.
    with django_capture_on_commit_callbacks(execute=True):
        PolicyVersion.objects.create(
            kind=PolicyVersion.Kind.PRIVACY,
            version="v1.1",
            effective_date=datetime.date(2026, 5, 1),
            last_updated=datetime.date(2026, 4, 20),
        )
    english = page_text(client.get("/en/privacy/"))
    assert "Version v1.1" in english and "Last updated April 20, 2026" in english
    korean = page_text(client.get("/ko/privacy/"))
    assert "버전 v1.1" in korean and "2026년 4월 20일" in korean


@pytest.mark.promise("P20")
def test_a_version_not_yet_in_effect_is_not_shown(client):
    from privacy.models import PolicyVersion

    PolicyVersion.objects.create(
        kind=PolicyVersion.Kind.PRIVACY,
        version="v9.0",
        effective_date=datetime.date(2099, 1, 1),
        last_updated=datetime.date(2099, 1, 1),
    )
    assert "v9.0" not in page_text(client.get("/en/privacy/"))


def test_a_version_taking_effect_tomorrow_is_shown_from_tomorrow(
    client, django_capture_on_commit_callbacks
):
    import time_machine
    from django.utils import timezone

    from privacy.models import PolicyVersion

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        PolicyVersion.objects.create(
            kind=PolicyVersion.Kind.PRIVACY,
            version="v2.0",
            effective_date=tomorrow,
            last_updated=timezone.localdate(),
        )
    assert "v2.0" not in page_text(client.get("/en/privacy/"))  # the page is now cached
    # No save happens at midnight: the cached page of today is not tomorrow's.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=False):
        assert "Version v2.0" in page_text(client.get("/en/privacy/"))


def test_terms_agree_with_the_policy(client):
    text = page_text(client.get("/en/terms/"))
    assert "You may upload photos of yourself only." in text
    assert "at least 13 years old, or 14 in the Republic of Korea" in text
    assert "full refund automatically" in text
    assert "the portraits are yours to use" in text
    assert "about 30 days after delivery" in text and "about 90 days after delivery" in text
    assert 'href="/en/privacy/"' in client.get("/en/terms/").content.decode()


def test_terms_show_their_version_in_korean(client):
    text = page_text(client.get("/ko/terms/"))
    assert "버전 v1.0" in text and "2026년 4월 6일" in text
    assert "본인의 사진만 올릴 수 있습니다" in text
