"""The Korean catalogue speaks in one register: the formal polite 합쇼체 (see the "Voice" section
of locale/README.md). A translation that ends a sentence in the informal polite 해요체
(-해요, -있어요, -이에요/-예요, -했어요, -인가요?, -돼요, -할게요, 죄송해요 ...) fails here, with
the entry and the words to rephrase."""

import re
from pathlib import Path

import polib
import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "ko" / "LC_MESSAGES" / "django.po"

# A Korean word that ends in 요 (or its contraction 죠, as in -지요/-죠) and closes a sentence or a
# clause: followed by punctuation, a quote, a bracket, a tag, an entity, whitespace or the end.
ENDING = re.compile(r"([가-힣]*[요죠])(?=[.!?,;:…~\"'”’»」』)\]<&/·]|\s|$)")

# Requests and instructions in -(으)세요 / -해 주세요 belong to the chosen register.
REQUEST = ("세요",)
# Nouns that merely end in 요; "불필요", "중요" and the like end in one of these.
NOUNS = ("필요", "중요", "주요", "개요", "수요", "소요", "강요")
# Whole words allowed as they are: the short answer "no" (아니요).
ALLOWED = {"아니요"}


def informal_endings(text):
    """The words of `text` that end a sentence in 해요체."""
    return [
        word
        for word in ENDING.findall(text)
        if word not in ALLOWED and not word.endswith(REQUEST + NOUNS)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "설정을 저장했어요.",
        "저희가 부를 이름이에요",
        "접수 번호는 #%(reference)s예요.",
        "바로 삭제할까요?",
        "사진은 안전해요<br>",
        "<strong>고마워요</strong>",
        "“좋아요”라고 답했습니다.",
        "나이가 되면 다시 만나기를 기다릴게요 ",
        "어디에 살고 계신가요?",
        "다시 보내지 않으셔도 돼요!",
        "괜찮죠?",
    ],
)
def test_informal_endings_are_found(text):
    assert informal_endings(text)


@pytest.mark.parametrize(
    "text",
    [
        "다시 시도해 주세요.",
        "생년월일을 입력하세요",
        "별도의 동의가 필요합니다.",
        "동의 필요",
        "주요 기능",
        "중요: 되돌릴 수 없습니다.",
        "아니요",
        "요금제를 선택해 주세요. 요청은 접수되었습니다.",
        "아직 궁금한 점이 있으십니까?",
    ],
)
def test_formal_text_passes(text):
    assert not informal_endings(text)


def test_korean_catalogue_uses_one_register():
    catalogue = polib.pofile(str(CATALOGUE))
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        translations = [entry.msgstr, *entry.msgstr_plural.values()]
        words = [word for text in translations for word in informal_endings(text)]
        if words:
            korean = " | ".join(text for text in translations if text)
            problems.append(
                f"  line {entry.linenum}: {', '.join(words)}\n"
                f"    msgid  {entry.msgid!r}\n"
                f"    msgstr {korean!r}"
            )
    if problems:
        pytest.fail(
            f"{len(problems)} Korean translation(s) end a sentence in 해요체 (-요); "
            "rewrite them in 합쇼체 (-습니다/-ㅂ니다, requests -(으)세요 / -해 주세요, "
            "questions -(으)십니까?), see the Voice section of locale/README.md:\n"
            + "\n".join(problems),
            pytrace=False,
        )
