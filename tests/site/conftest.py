"""Fixtures for the site's tests: Korean from the locale parts before the central merge."""

import io
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _korean_from_parts(tmp_path_factory):
    """PICTUREUS_LOCALE_PARTS=1 reads Korean from locale/parts/*.ko.po as well as django.po.

    The parts are merged into django.po centrally; this lets a developer check Korean pages
    before that merge. Without it the tests read the real catalogue, as CI does.
    """
    if os.environ.get("PICTUREUS_LOCALE_PARTS") != "1":
        yield
        return
    from django.conf import settings
    from django.test import override_settings

    root = tmp_path_factory.mktemp("locale")
    folder = root / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    sources = [*sorted((ROOT / "locale" / "parts").glob("*.ko.po"))]
    sources.append(ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po")
    merged = folder / "django.po"
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), *map(str, sources)], check=True)
    subprocess.run(["msgfmt", "-o", str(folder / "django.mo"), str(merged)], check=True)
    with override_settings(LOCALE_PATHS=[root, *settings.LOCALE_PATHS]):
        yield


@pytest.fixture
def catalogue(db):
    """The demo plans and styles, as `make run` loads them."""
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())


# The browser journeys' fixtures (one Chromium, checked tabs), for tests/site/test_browser.py.
from tests.browser.conftest import (  # noqa: E402, F401
    chromium,
    language,
    open_visit,
    pytest_runtest_makereport,
)
