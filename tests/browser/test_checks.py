"""The page checks themselves catch what they are there to catch."""

import pytest

from .checks import untranslated_lines, validate_html

pytestmark = pytest.mark.browser

GOOD = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fine</title></head>
<body><main><h1>Fine</h1><img src="a.png" alt="A portrait"></main></body></html>"""
BAD = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body><main><p><div>block in a paragraph</p></div><img src="a.png"></main></body></html>"""


def test_english_sentences_on_a_korean_page_are_found():
    text = (
        "내 세션\nUpload your photos\n© 2026 PictureUs Labs\nminji@example.com · face1.jpg\nEnglish"
    )
    assert untranslated_lines(text) == ["Upload your photos"]


def test_brand_names_formats_and_acronyms_are_allowed():
    assert untranslated_lines("PictureUs · LoRA · JPEG, PNG, HEIC · 12,000 KRW · ZIP") == []


def test_hex_digests_are_data_but_words_beside_them_are_not():
    assert untranslated_lines("원본 사진\t동의 철회\teb795ca9b711a6c2…") == []
    assert untranslated_lines("receipt eb795ca9b711a6c2") == ["receipt eb795ca9b711a6c2"]


def test_the_html_checker_reports_errors_with_their_page():
    errors = validate_html([("http://x/good", GOOD), ("http://x/bad", BAD)])
    assert errors
    assert all(error.startswith("HTML http://x/bad:") for error in errors)
    assert any("alt" in error for error in errors)


def test_axe_finds_an_image_without_alt_text(chromium):
    from .checks import AXE_JS, AXE_RUN

    page = chromium.new_page()
    try:
        page.set_content(BAD.decode())
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
        violations = page.evaluate(AXE_RUN)
    finally:
        page.close()
    assert "image-alt" in {v["id"] for v in violations}
