"""Before buying, the site says the portraits are made by generative AI (인공지능 기본법), and
the FAQ says plainly that they are not valid for ID cards or passports."""

import pytest

AI_NOTICE = {
    "en": "Your portraits are made by generative AI",
    "ko": "생성형 인공지능으로 만들어집니다",
}
ID_NOTICE = {
    "en": "not valid for ID cards (such as the Korean resident registration card), passports",
    "ko": "주민등록증, 여권, 운전면허증 등 공식 신분증명서에 사용할 수 없습니다",
}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_pricing_page_says_the_portraits_are_made_by_generative_ai(client, db, language):
    html = client.get(f"/{language}/pricing/").content.decode()
    assert AI_NOTICE[language] in html
    assert "C2PA" in html


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_faq_says_ai_made_and_not_for_id_cards_or_passports(client, db, language):
    html = client.get(f"/{language}/faq/").content.decode()
    question = {"en": "Are the portraits made by AI?", "ko": "인공지능으로 만들어집니까?"}
    assert question[language] in html
    assert ID_NOTICE[language] in html
