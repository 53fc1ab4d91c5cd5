"""The seller's identity (전자상거래법 Art. 10): in the footer and on the terms page, from
settings, and required in production while the Korean site is on."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from pictureus.seller import SELLER_SETTINGS

SELLER = {
    "PICTUREUS_COMPANY_NAME": "주식회사 픽처어스",
    "PICTUREUS_REPRESENTATIVE": "김민준",
    "PICTUREUS_BUSINESS_NUMBER": "220-81-62517",
    "PICTUREUS_MAIL_ORDER_NUMBER": "제2026-서울강남-01234호",
    "PICTUREUS_COMPANY_ADDRESS": "서울특별시 강남구 테헤란로 1",
    "PICTUREUS_PHONE": "02-1234-5678",
    "PICTUREUS_SELLER_EMAIL": "help@pictureus.example",
    "PICTUREUS_HOSTING_PROVIDER": "Amazon Web Services Korea",
}
LABELS_KO = [
    "상호",
    "대표자",
    "사업자등록번호",
    "통신판매업 신고번호",
    "주소",
    "전화",
    "이메일",
    "호스팅 제공자",
]


@pytest.fixture
def seller_settings(settings):
    for name, value in SELLER.items():
        setattr(settings, name, value)
    return settings


@pytest.mark.parametrize("path", ["/ko/", "/ko/terms/", "/ko/pricing/"])
def test_the_korean_pages_show_every_line_of_the_seller_disclosure(
    client, db, seller_settings, path
):
    page = client.get(path).content.decode()
    disclosure = page[page.index("data-seller") :]
    for (name, _label), label in zip(SELLER_SETTINGS, LABELS_KO, strict=True):
        assert f"<dt>{label}</dt><dd>{SELLER[name]}" in disclosure, name
    link = 'href="https://www.ftc.go.kr/bizCommPop.do?wrkr_no=2208162517"'
    assert link in disclosure


def test_the_english_footer_shows_it_too(client, db, seller_settings):
    page = client.get("/en/").content.decode()
    assert "<dt>Business registration number</dt><dd>220-81-62517" in page


def test_production_refuses_to_start_without_the_disclosure(seller_settings):
    seller_settings.DEBUG = False
    call_command("check")  # all set: no error
    seller_settings.PICTUREUS_MAIL_ORDER_NUMBER = ""
    with pytest.raises(SystemCheckError, match="PICTUREUS_MAIL_ORDER_NUMBER must be set"):
        call_command("check")
    seller_settings.PICTUREUS_MAIL_ORDER_NUMBER = SELLER["PICTUREUS_MAIL_ORDER_NUMBER"]
    seller_settings.PICTUREUS_BUSINESS_NUMBER = "220-81-625"
    with pytest.raises(SystemCheckError, match="ten digits"):
        call_command("check")


def test_development_runs_without_it(seller_settings):
    seller_settings.DEBUG = True
    seller_settings.PICTUREUS_PHONE = ""
    call_command("check")
