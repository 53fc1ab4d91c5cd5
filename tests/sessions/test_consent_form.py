"""The consent form as Korean law reads it (PIPA Art. 15(2), 22, 23): four items per consent,
face photos consented to on their own, and the version of the text each choice was made on."""

import re
from html.parser import HTMLParser

import pytest

from privacy.models import ConsentRecord, ConsentText, RetentionPolicy
from sessions_app.models import SourcePhoto

from . import images
from .test_uploads import stored_files, upload

KOREAN_ITEMS = ["수집·이용 목적", "수집 항목", "보유 및 이용 기간", "동의 거부 권리 및 불이익"]
ENGLISH_ITEMS = [
    "Purpose",
    "Information collected",
    "How long it is kept",
    "Your right to refuse, and what refusing means",
]
PURPOSES = ["face_photos", "model_improvement", "marketing_likeness"]


class Notices(HTMLParser):
    """Each consent fieldset of the page: its purpose, its version, the <dt>/<dd> pairs it
    shows and the checkboxes inside it."""

    def __init__(self):
        super().__init__()
        self.notices, self.current, self.tag = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset" and "data-consent" in attrs:
            self.current = {
                "purpose": attrs["data-consent"],
                "version": attrs["data-consent-version"],
                "items": [],
                "boxes": [],
                "text": "",
            }
            self.notices.append(self.current)
        elif self.current is not None and tag in ("dt", "dd"):
            self.tag = tag
            if tag == "dt":
                self.current["items"].append(["", ""])
        elif self.current is not None and tag == "input" and attrs.get("type") == "checkbox":
            self.current["boxes"].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self.current = None
        if tag in ("dt", "dd"):
            self.tag = None

    def handle_data(self, data):
        if self.current is None:
            return
        self.current["text"] += data
        if self.tag == "dt":
            self.current["items"][-1][0] += data.strip()
        elif self.tag == "dd":
            self.current["items"][-1][1] += data.strip()


def notices_on(client, photo_session, language):
    response = client.get(f"/{language}/sessions/{photo_session.public_id}/consent/")
    assert response.status_code == 200
    parser = Notices()
    parser.feed(response.content.decode())
    return {notice["purpose"]: notice for notice in parser.notices}


@pytest.fixture
def korean(db):
    from tests.conftest import make_customer

    return make_customer("minji@example.com", region="KR", language="ko")


def test_the_korean_page_shows_the_four_items_for_each_consent(client, korean, make_session):
    s = make_session(korean, "paid", currency="krw")
    client.force_login(korean)
    notices = notices_on(client, s, "ko")
    assert list(notices) == PURPOSES
    periods = dict(RetentionPolicy.objects.values_list("category", "period_days"))
    for purpose, notice in notices.items():
        headings = [heading for heading, _ in notice["items"]]
        assert headings == KOREAN_ITEMS, purpose
        assert all(body for _, body in notice["items"]), purpose
    face = dict(notices["face_photos"]["items"])
    # The periods quoted are the ones the retention sweep enforces.
    assert f"{periods['originals']}일" in face["보유 및 이용 기간"]
    assert f"{periods['deliverables']}일" in face["보유 및 이용 기간"]
    assert "민감정보" in notices["face_photos"]["text"]
    assert "거부" in face["동의 거부 권리 및 불이익"]
    assert "업로드" in face["동의 거부 권리 및 불이익"]
    # The Korean page says it in Korean: no English left in the four items.
    for notice in notices.values():
        for _, body in notice["items"]:
            assert not re.search(r"[A-Za-z]{4,}", body.replace("PictureUs", "")), body


def test_the_english_page_has_the_same_structure(client, alice, make_session, policy):
    s = make_session(alice, "paid")
    client.force_login(alice)
    notices = notices_on(client, s, "en")
    assert list(notices) == PURPOSES
    for notice in notices.values():
        assert [heading for heading, _ in notice["items"]] == ENGLISH_ITEMS
    assert "sensitive information" in notices["face_photos"]["text"].lower()


@pytest.mark.promise("P02")
def test_face_photos_are_consented_to_on_their_own(client, korean, make_session):
    s = make_session(korean, "paid", currency="krw")
    client.force_login(korean)
    notices = notices_on(client, s, "ko")
    # One box per consent, and the face-photo box shares its fieldset with nothing else.
    assert notices["face_photos"]["boxes"] == ["face_photos"]
    assert notices["model_improvement"]["boxes"] == ["model_improvement"]
    assert notices["marketing_likeness"]["boxes"] == ["marketing_likeness"]


@pytest.mark.promise("P02")
def test_refusing_face_photos_blocks_upload_and_training_and_stores_nothing(
    client, korean, make_session
):
    s = make_session(korean, "paid", currency="krw")
    client.force_login(korean)
    # Everything else agreed to: the face-photo refusal alone is enough to stop the service.
    response = client.post(
        f"/ko/sessions/{s.public_id}/consent/",
        {"only_me": "on", "model_improvement": "on", "marketing_likeness": "on"},
    )
    assert response.status_code == 200
    assert "이 동의 없이는 인물 사진을 만들 수 없습니다." in response.content.decode()
    s.refresh_from_db()
    assert s.state == "paid"
    assert not ConsentRecord.objects.exists()
    # No upload while it is refused: the page sends the customer back, a post is refused.
    assert client.get(f"/ko/sessions/{s.public_id}/photos/")["Location"].endswith("/consent/")
    before = stored_files()
    refused = upload(client, s, ("me.jpg", images.face_jpeg(0)), language="ko")
    assert refused.status_code == 403
    assert stored_files() == before
    assert not SourcePhoto.objects.exists()
    # Nor any training: the session cannot be sent.
    client.post(f"/ko/sessions/{s.public_id}/submit/")
    s.refresh_from_db()
    assert s.state == "paid"
    assert not s.generation_jobs.exists()


@pytest.mark.promise("P02")
def test_each_choice_records_the_version_of_the_text_the_customer_saw(client, korean, make_session):
    s = make_session(korean, "paid", currency="krw")
    client.force_login(korean)
    shown = notices_on(client, s, "ko")
    versions = ",".join(shown[p]["version"] for p in PURPOSES)
    client.post(
        f"/ko/sessions/{s.public_id}/consent/",
        {"face_photos": "on", "only_me": "on", "versions": versions},
    )
    rows = {r.purpose: r for r in ConsentRecord.objects.filter(user=korean)}
    assert set(rows) == set(PURPOSES)
    for purpose, row in rows.items():
        assert row.consent_text.version == shown[purpose]["version"]
        assert row.consent_text.language == "ko"
        assert str(row.consent_text) == f"{purpose} ko {shown[purpose]['version'][:12]}"
        # The ledger keeps the very words: the four items as the page showed them.
        for heading, body in shown[purpose]["items"]:
            assert f"{heading}: {body}" in row.consent_text.text
    assert rows["face_photos"].granted and not rows["model_improvement"].granted


@pytest.mark.promise("P02")
def test_a_changed_text_is_a_new_version_and_a_stale_page_is_asked_again(
    client, korean, make_session
):
    s = make_session(korean, "paid", currency="krw")
    client.force_login(korean)
    before = notices_on(client, s, "ko")
    stale = ",".join(before[p]["version"] for p in PURPOSES)
    # The operators shorten the gallery's period: the texts that quote it change.
    RetentionPolicy.objects.filter(category="deliverables").update(period_days=60)
    after = notices_on(client, s, "ko")
    assert after["face_photos"]["version"] != before["face_photos"]["version"]
    assert after["marketing_likeness"]["version"] != before["marketing_likeness"]["version"]
    assert "60일" in dict(after["face_photos"]["items"])["보유 및 이용 기간"]
    # A choice made on the page opened before the change is not recorded on the new text.
    response = client.post(
        f"/ko/sessions/{s.public_id}/consent/",
        {"face_photos": "on", "only_me": "on", "versions": stale},
    )
    assert response.status_code == 200
    assert "동의 내용이 바뀌었습니다" in response.content.decode()
    assert not ConsentRecord.objects.exists()
    fresh = ",".join(after[p]["version"] for p in PURPOSES)
    client.post(
        f"/ko/sessions/{s.public_id}/consent/",
        {"face_photos": "on", "only_me": "on", "versions": fresh},
    )
    row = ConsentRecord.objects.get(user=korean, purpose="face_photos")
    assert row.consent_text.version == after["face_photos"]["version"]
    assert ConsentText.objects.filter(version=before["face_photos"]["version"]).count() == 0


def test_the_english_and_korean_texts_are_separate_versions(
    client, korean, alice, make_session, policy
):
    english = make_session(alice, "paid")
    client.force_login(alice)
    client.post(
        f"/en/sessions/{english.public_id}/consent/", {"face_photos": "on", "only_me": "on"}
    )
    korean_session = make_session(korean, "paid", currency="krw")
    client.force_login(korean)
    client.post(
        f"/ko/sessions/{korean_session.public_id}/consent/",
        {"face_photos": "on", "only_me": "on"},
    )
    en_row = ConsentRecord.objects.get(user=alice, purpose="face_photos")
    ko_row = ConsentRecord.objects.get(user=korean, purpose="face_photos")
    assert en_row.consent_text.language == "en" and ko_row.consent_text.language == "ko"
    assert en_row.consent_text.version != ko_row.consent_text.version


def test_another_customer_cannot_open_or_answer_the_form(client, alice, bob, make_session, policy):
    s = make_session(alice, "paid")
    client.force_login(bob)
    assert client.get(f"/en/sessions/{s.public_id}/consent/").status_code == 404
    response = client.post(
        f"/en/sessions/{s.public_id}/consent/", {"face_photos": "on", "only_me": "on"}
    )
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()


def test_the_privacy_centre_shows_the_four_items_and_records_the_text_of_an_allow(client, korean):
    client.force_login(korean)
    html = client.get("/ko/privacy/centre/").content.decode()
    for purpose in ("model_improvement", "marketing_likeness"):
        block = html.split(f'data-consent="{purpose}"')[1].split("</details>")[0]
        for heading in KOREAN_ITEMS:
            assert f"<dt>{heading}</dt>" in block, (purpose, heading)
    version = html.split('name="version" value="')[1].split('"')[0]
    client.post(
        "/ko/privacy/centre/consent/",
        {"purpose": "model_improvement", "granted": "1", "version": version},
    )
    row = ConsentRecord.objects.get(user=korean, purpose="model_improvement")
    assert row.granted and row.consent_text.version == version
    assert row.consent_text.language == "ko" and "수집 항목" in row.consent_text.text
    # The history names the text version each choice was made on.
    assert version[:12] in client.get("/ko/privacy/centre/").content.decode()


def test_an_allow_from_a_stale_centre_page_is_asked_again(client, korean):
    client.force_login(korean)
    response = client.post(
        "/ko/privacy/centre/consent/",
        {"purpose": "marketing_likeness", "granted": "1", "version": "0" * 64},
        follow=True,
    )
    assert "동의 내용이 바뀌었습니다" in response.content.decode()
    assert not ConsentRecord.objects.filter(user=korean).exists()
