"""The privacy policy page: the finished v1.1 text, in English and Korean, with the operator from
the settings and the version and last-updated date of the policy-version record."""

import datetime
import hashlib
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .helpers import html_lang, page_text

pytestmark = pytest.mark.django_db

TEXTS = Path(__file__).resolve().parents[2] / "privacy" / "policy_texts"
SOURCE = TEXTS / "privacy-policy-v1.1.en.txt"

# What v1.0 said to its authors rather than to customers, in both languages of its page.
DRAFTING_NOTES = [
    "not a substitute for legal advice",
    "must be finalized with legal and DPO review",
    "before release",
    "(illustrative)",
    "RMIS",
    "internal RMIS spreadsheet",
    "can be expanded",
    "mirrored on the site if required",
    "Use the privacy contact published on our official website",
    "the address posted on our website",
    "any webform we provide",
    "use the contact information on https://pictureus.ai",
    "then-current official domain",
    "법률 자문을 대신하지",
    "검토를 거쳐 확정해야",
    "(예시)",
    "내부 기록관리",
    "공식 웹사이트에 게시된 개인정보 문의처",
    "웹사이트에 게시된 주소로",
    "그 시점의 공식 도메인",
]


class _Blocks(HTMLParser):
    """The headings, paragraphs and list items inside the first element that has `root_attr`."""

    BLOCKS = {"h2", "h3", "p", "li"}

    def __init__(self, root_attr):
        super().__init__(convert_charrefs=True)
        self.root_attr = root_attr
        self.root_tag = None
        self.depth = 0
        self.open = []
        self.blocks = []

    def handle_starttag(self, tag, attrs):
        if self.root_tag is None and self.root_attr in dict(attrs):
            self.root_tag, self.depth = tag, 1
            return
        if self.root_tag in (None, "done"):
            return
        if tag == self.root_tag:
            self.depth += 1
        if tag in self.BLOCKS:
            self.open.append([tag, ""])

    def handle_endtag(self, tag):
        if self.root_tag in (None, "done"):
            return
        if tag in self.BLOCKS and self.open and self.open[-1][0] == tag:
            name, text = self.open.pop()
            self.blocks.append((name, re.sub(r"\s+", " ", text).strip()))
        if tag == self.root_tag:
            self.depth -= 1
            if self.depth == 0:
                self.root_tag = "done"

    def handle_data(self, data):
        if self.open and self.root_tag not in (None, "done"):
            self.open[-1][1] += data


def blocks(response, root_attr="data-policy-body"):
    """[(tag, text)] of every h2, h3, p and li of the policy, in page order."""
    parser = _Blocks(root_attr)
    parser.feed(response.content.decode())
    return parser.blocks


def operator(settings):
    return {
        "company_name": settings.PICTUREUS_COMPANY_NAME,
        "company_address": settings.PICTUREUS_COMPANY_ADDRESS,
        "privacy_officer": settings.PICTUREUS_PRIVACY_OFFICER,
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
    }


def source_paragraphs(values):
    """Every heading, paragraph and list item of the v1.1 text, the operator filled in."""
    text = SOURCE.read_text(encoding="utf-8")
    body = text[text.index("\n---\n") + 5 :]
    pieces = []
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        line = line.removeprefix("- ")
        for name, value in values.items():
            line = line.replace("{" + name + "}", value)
        pieces.append(line)
    return pieces


def test_the_source_splits_into_the_policys_paragraphs(settings):
    pieces = source_paragraphs(operator(settings))
    assert pieces[0].startswith("Operator:")
    assert pieces[-1].startswith("If you are not satisfied with our answer")
    assert len(pieces) > 90
    assert not [p for p in pieces if "{" in p or "}" in p]


@pytest.mark.promise("P26")
def test_the_english_policy_is_the_v1_1_text_throughout(client, settings):
    shown = [text for _, text in blocks(client.get("/en/privacy/"), "data-policy-text")]
    assert shown == source_paragraphs(operator(settings))


@pytest.mark.promise("P26")
def test_the_korean_policy_translates_every_heading_and_paragraph(client, settings):
    english = blocks(client.get("/en/privacy/"))
    response = client.get("/ko/privacy/")
    assert html_lang(response) == "ko"
    korean = blocks(response)
    # The whole policy body: its text, the retention and processor sections after it.
    assert len(english) > 100
    assert [tag for tag, _ in korean] == [tag for tag, _ in english]

    names = {"PictureUs", *operator(settings).values()}

    def is_pure_name(text):
        rest = text
        for name in sorted(names, key=len, reverse=True):
            rest = rest.replace(name, "")
        rest = re.sub(r"[\w.+-]+@[\w.-]+", "", rest)
        return not re.sub(r"[\d\s.,:;()%/-]", "", rest)

    untranslated = [
        (en, ko)
        for (_, en), (_, ko) in zip(english, korean, strict=True)
        if (en == ko or not re.search("[가-힣]", ko)) and not is_pure_name(ko)
    ]
    assert not untranslated, untranslated


@pytest.mark.parametrize("language", ["en", "ko"])
def test_no_drafting_note_reaches_a_customer(client, language):
    response = client.get(f"/{language}/privacy/")
    text, content = page_text(response), response.content.decode()
    found = [
        note
        for note in DRAFTING_NOTES
        if re.search(rf"(?<!\w){re.escape(note)}(?!\w)", text, re.I) or html.escape(note) in content
    ]
    assert not found, found


def test_the_operator_comes_from_the_settings(client, settings):
    settings.PICTUREUS_COMPANY_NAME = "Hanbit Portraits & Co., Ltd."
    settings.PICTUREUS_COMPANY_ADDRESS = "12 Teheran-ro, Gangnam-gu, Seoul 06234"
    settings.PICTUREUS_PRIVACY_OFFICER = "Seo-yeon Park, Head of Privacy"
    settings.PRIVACY_CONTACT_EMAIL = "dpo@hanbit.example"

    english = page_text(client.get("/en/privacy/"))
    assert "Operator: Hanbit Portraits & Co., Ltd. (12 Teheran-ro, Gangnam-gu, Seoul 06234)" in (
        english
    )
    assert "Privacy officer: Seo-yeon Park, Head of Privacy" in english
    assert "Email: dpo@hanbit.example" in english
    korean_response = client.get("/ko/privacy/")
    korean = page_text(korean_response)
    assert "회사명: Hanbit Portraits & Co., Ltd." in korean
    assert "주소: 12 Teheran-ro, Gangnam-gu, Seoul 06234" in korean
    assert "개인정보 보호책임자: Seo-yeon Park, Head of Privacy" in korean
    assert 'href="mailto:dpo@hanbit.example"' in korean_response.content.decode()
    # The defaults are gone from the policy (the footer's copyright line is not the policy's).
    for language in ("en", "ko"):
        policy = " ".join(t for _, t in blocks(client.get(f"/{language}/privacy/")))
        assert "PictureUs Labs" not in policy and "Alex Kim" not in policy
        assert "privacy@pictureus.localhost" not in policy


def test_the_korean_policy_carries_what_pipa_article_30_expects(client):
    korean = blocks(client.get("/ko/privacy/"))
    headings = [text for tag, text in korean if tag == "h2"]
    assert "9. 개인정보의 파기 절차 및 방법" in headings
    assert "13. 개인정보 처리정지 요구" in headings
    assert "18. 개인정보 보호책임자 및 문의처" in headings
    text = "\n".join(text for _, text in korean)
    # The officer and how to reach them.
    assert "다음과 같이 개인정보 보호책임자를 지정하고 있습니다" in text
    assert re.search(r"^개인정보 보호책임자: \S", text, re.M)
    assert re.search(r"^이메일: \S+@\S+", text, re.M)
    # Destruction: when, the procedure and the method.
    assert "보유 기간이 끝나거나 처리 목적이 달성되면 지체 없이 해당 개인정보를 파기합니다" in text
    assert re.search(r"^파기 절차: .*매시간", text, re.M)
    assert re.search(r"^파기 방법: .*삭제 기록.*복원이 불가능한 방법으로 영구 삭제", text, re.M)
    # Suspension of processing, in the words of PIPA Art. 37.
    assert "자신의 개인정보 처리의 정지를 요구하거나 개인정보 처리에 대한 동의를 철회할 수" in text
    assert "법률에 특별한 규정이 있거나 법령상 의무를 준수하기 위하여 불가피한 경우" in text
    assert "정보주체에게 지체 없이 그 사유를 알립니다" in text
    # The items that were there before.
    for heading in ("개인정보의 보유 기간", "개인정보의 국외 이전", "정보주체의 권리와 행사 방법"):
        assert any(heading in h for h in headings), heading
    assert "만 14세 미만" in text


@pytest.mark.promise("P20")
@pytest.mark.promise("P26")
def test_the_policy_shows_version_1_1_and_its_date(client, django_capture_on_commit_callbacks):
    from django.utils import timezone, translation
    from django.utils.formats import date_format

    from privacy.models import PolicyVersion

    current = PolicyVersion.current(PolicyVersion.Kind.PRIVACY)
    assert (current.version, current.effective_date, current.last_updated) == (
        "v1.1",
        datetime.date(2026, 11, 28),
        datetime.date(2026, 11, 28),
    )
    assert current.text_sha256 == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    english = page_text(client.get("/en/privacy/"))
    assert "Version v1.1" in english and "Last updated Nov. 28, 2026" in english
    korean = page_text(client.get("/ko/privacy/"))
    assert "버전 v1.1" in korean and "최종 수정일 2026년 11월 28일" in korean

    # A new version is a new record; the page follows it once it is committed.
    today = timezone.localdate()
    announced = today - datetime.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        PolicyVersion.objects.create(
            kind=PolicyVersion.Kind.PRIVACY,
            version="v1.2",
            effective_date=today,
            last_updated=announced,
        )
    english = page_text(client.get("/en/privacy/"))
    with translation.override("en"):
        assert "Version v1.2" in english
        assert f"Last updated {date_format(announced, 'DATE_FORMAT')}" in english
    korean = page_text(client.get("/ko/privacy/"))
    with translation.override("ko"):
        assert "버전 v1.2" in korean
        assert f"최종 수정일 {date_format(announced, 'DATE_FORMAT')}" in korean


@pytest.mark.promise("P20")
def test_a_consent_given_under_1_0_stays_current_under_1_1(alice):
    import time_machine

    from privacy import services
    from privacy.models import ConsentRecord, PolicyVersion

    purpose = ConsentRecord.Purpose.MODEL_IMPROVEMENT
    with time_machine.travel(datetime.datetime(2026, 11, 1, 12, tzinfo=datetime.UTC)):
        given = services.consent_record(
            user=alice, purpose=purpose, granted=True, method=ConsentRecord.Method.FORM
        )
    assert given.policy_version.version == "v1.0"
    assert PolicyVersion.current(PolicyVersion.Kind.PRIVACY).version == "v1.1"
    assert services.consent_is_current(user=alice, purpose=purpose)
    assert not services.consent_needs_renewal(user=alice)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_policy_links_to_the_visitor_request_form(client, language):
    from django.urls import reverse
    from django.utils import translation

    with translation.override(language):
        form_url = reverse("privacy:request_visitor")
    assert form_url == f"/{language}/privacy/request/"
    content = client.get(f"/{language}/privacy/").content.decode()
    for section in ("policy-12", "policy-13", "policy-18"):
        body = re.search(rf'<section aria-labelledby="{section}">(.*?)</section>', content, re.S)
        assert f'href="{form_url}"' in body.group(1), section
    assert client.get(form_url).status_code == 200


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
