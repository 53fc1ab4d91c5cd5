"""Every public page, in both languages: it answers, says which language it is in, and is
translated. Plus the language switch, the redirect from "/" and the 404 page."""

import re

import pytest

from .helpers import html_lang, page_text

pytestmark = pytest.mark.django_db

# path (after the language prefix), a sentence in English, the same in Korean.
PAGES = [
    ("", "Portraits of you, by you", "나를 닮은, 나만의 인물 사진"),
    ("how-it-works/", "Tips for good photos", "좋은 사진을 위한 팁"),
    ("features/", "Deleted on a schedule you can see", "눈으로 확인하는 삭제 일정"),
    ("faq/", "Can I upload photos of someone else?", "다른 사람의 사진을 올려도 됩니까?"),
    ("pricing/", "Refunds", "환불"),
    ("terms/", "Your own face only", "본인의 얼굴만"),
    ("privacy/", "PictureUs Privacy Policy", "PictureUs 개인정보 처리방침"),
    ("support/", "Send message", "메시지 보내기"),
    ("accounts/login/", "Welcome back", "다시 오신 것을 환영합니다"),
    ("accounts/signup/", "Display name", "표시 이름"),
    ("accounts/password/reset/", "Reset your password", "비밀번호 재설정"),
]


@pytest.mark.parametrize("path,english,korean", PAGES)
def test_page_in_english(client, catalogue, path, english, korean):
    response = client.get(f"/en/{path}")
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert english in page_text(response)


@pytest.mark.promise("P26")
@pytest.mark.parametrize("path,english,korean", PAGES)
def test_page_in_korean(client, catalogue, path, english, korean):
    response = client.get(f"/ko/{path}")
    assert response.status_code == 200
    assert html_lang(response) == "ko"
    text = page_text(response)
    assert korean in text
    # The navigation is Korean too, not only the page's own text.
    assert "이용 방법" in text and "How it works" not in text


def test_every_page_is_reachable_from_the_navigation(client):
    text = client.get("/en/").content.decode()
    for path in [
        "how-it-works/",
        "features/",
        "pricing/",
        "faq/",
        "privacy/",
        "terms/",
        "support/",
    ]:
        assert f'href="/en/{path}"' in text


def test_home_shows_plans_in_the_visitors_currency(client, catalogue):
    english = page_text(client.get("/en/"))
    assert "Starter" in english and "$19.00" in english and "$39.00" in english
    korean = page_text(client.get("/ko/"))
    assert "스타터" in korean and "25,000원" in korean and "52,000원" in korean
    assert "$19.00" not in korean


def test_pricing_follows_the_plan_records(client, catalogue):
    from sessions_app.models import PlanPrice

    PlanPrice.objects.filter(plan__slug="starter", currency="usd").update(amount=2500)
    assert "$25.00" in page_text(client.get("/en/pricing/"))


def test_pricing_without_plans_says_so_kindly(client):
    text = page_text(client.get("/en/pricing/"))
    assert "Prices are on their way" in text


def load_catalogue():
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo", stdout=StringIO())


@pytest.mark.django_db
def test_the_sample_gallery_has_text_alternatives(client):
    load_catalogue()
    body = client.get("/ko/").content.decode()
    assert "/static/img/samples/studio.svg" in body
    assert 'alt=""' not in body.split("<main", 1)[1]
    assert "실제 고객의 사진이 아닙니다" in page_text(client.get("/ko/"))


def test_root_redirects_by_the_browsers_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.5")
    assert response.status_code == 302
    assert response["Location"] == "/ko/"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Location"] == "/en/"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR")
    assert response["Location"] == "/en/"


def test_the_switcher_keeps_you_on_the_same_page(client):
    body = client.get("/en/pricing/").content.decode()
    assert 'href="/ko/pricing/" hreflang="ko" lang="ko"' in body
    body = client.get("/ko/faq/").content.decode()
    assert 'href="/en/faq/" hreflang="en" lang="en"' in body
    # Following the link shows the same page in the other language.
    response = client.get("/ko/pricing/")
    assert response.status_code == 200 and html_lang(response) == "ko"


def test_the_switcher_keeps_the_query_string(client):
    body = client.get("/en/accounts/login/?next=/en/sessions/").content.decode()
    assert "/ko/accounts/login/?next=/en/sessions/" in body


@pytest.mark.parametrize(
    "path", ["/fr/", "/fr/pricing/", "/en/no-such-page/", "/ko/no-such-page/", "/static-nope"]
)
def test_unknown_pages_are_a_404_in_the_sites_look(client, path):
    response = client.get(path)
    assert response.status_code == 404
    text = page_text(response)
    assert "PictureUs" in text
    body = response.content.decode()
    assert 'class="site-header"' in body and "/static/css/site.css" in body


def test_the_korean_404_is_in_korean(client):
    response = client.get("/ko/no-such-page/")
    assert response.status_code == 404
    assert html_lang(response) == "ko"
    assert "페이지를 찾을 수 없습니다" in page_text(response)


def test_the_500_page_is_in_the_sites_look(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.utils import translation

    from pictureus.views import server_error

    request = rf.get("/en/")
    request.user = AnonymousUser()
    with translation.override("en"):
        response = server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body and 'class="site-header"' in body


def csp_directives(response):
    """The Content-Security-Policy header as {directive: [sources]}, whatever its order."""
    parts = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {words[0]: words[1:] for words in parts if words}


def test_pages_send_the_security_headers(client):
    response = client.get("/en/")
    policy = csp_directives(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_inline_scripts_or_styles(client, catalogue):
    for path in ["/en/", "/ko/privacy/", "/en/support/", "/en/accounts/signup/"]:
        body = client.get(path).content.decode()
        assert "<script>" not in body and "<style" not in body and "style=" not in body


def test_back_office_allows_inline_styles_but_never_inline_scripts(admin_client):
    admin_policy = csp_directives(admin_client.get("/en/backoffice/"))
    assert sorted(admin_policy["style-src"]) == ["'self'", "'unsafe-inline'"]
    assert admin_policy["script-src"] == ["'self'"]
    site_policy = csp_directives(admin_client.get("/en/"))
    assert site_policy["style-src"] == ["'self'"] and site_policy["script-src"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_get_started_leads_a_visitor_to_sign_up_and_a_customer_to_a_new_session(
    client, alice, lang
):
    signup = f'href="/{lang}/accounts/signup/?next=%2F{lang}%2Fsessions%2Fnew%2F"'
    for path in (f"/{lang}/", f"/{lang}/pricing/"):
        html = client.get(path).content.decode()
        assert html.count(signup) >= 1 and f'href="/{lang}/sessions/new/"' not in html
    page = client.get(f"/{lang}/accounts/signup/?next=/{lang}/sessions/new/").content.decode()
    assert f'href="/{lang}/accounts/login/' in page
    client.force_login(alice)
    html = client.get(f"/{lang}/").content.decode()
    assert f'href="/{lang}/sessions/new/"' in html and "/accounts/signup/" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_sample_gallery_shows_only_styles_that_can_be_bought(client, lang):
    from sessions_app.models import StylePack

    load_catalogue()
    styles = list(StylePack.objects.filter(active=True))
    withdrawn = styles[-1]
    withdrawn.active = False
    withdrawn.save()  # an operator takes a style off sale in the back office
    for path in (f"/{lang}/", f"/{lang}/features/"):
        html = client.get(path).content.decode()
        shown = re.findall(r'<figure>\s*<img src="/static/img/samples/([\w-]+)\.svg"', html)
        assert shown == [s.slug for s in styles[:-1]]
        for style in styles[:-1]:
            assert f"<figcaption>{getattr(style, f'name_{lang}')}</figcaption>" in html
        assert getattr(withdrawn, f"name_{lang}") not in html


def test_an_oversized_request_is_refused_before_its_body_is_read(client, alice):
    """Judged by its Content-Length alone: a signed-out 200 MB upload is not read to find out
    that its sender must sign in first."""
    photos_url = "/sessions/00000000-0000-0000-0000-000000000000/photos/"
    huge = {"CONTENT_LENGTH": str(200 * 2**20)}
    response = client.post(f"/en{photos_url}", b"x", content_type="image/jpeg", **huge)
    assert response.status_code == 413
    assert "Sign in first" in response.content.decode()
    response = client.post(f"/ko{photos_url}", b"x", content_type="image/jpeg", **huge)
    assert response.status_code == 413 and "로그인" in response.content.decode()

    client.force_login(alice)
    # A signed-in customer may send a batch of photos that large; not one beyond 20 x 25 MB.
    response = client.post(f"/en{photos_url}", b"x", content_type="image/jpeg", **huge)
    assert response.status_code == 404  # through to the view: not a session of hers
    too_big = {"CONTENT_LENGTH": str(600 * 2**20)}
    response = client.post(f"/en{photos_url}", b"x", content_type="image/jpeg", **too_big)
    assert response.status_code == 413 and "at most 20 photos" in response.content.decode()
