"""Fixtures for journeys in a real browser: the app served by the test run, one Chromium for
the whole run, a checked tab per customer or operator, screenshots when a step fails."""

import io
import os

import pytest

from .checks import Visit, validate_html

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# An IPv4 address, so that Chromium and the server agree on what "localhost" is.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = os.environ.get("PICTUREUS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCALES = {"en": "en-US", "ko": "ko-KR"}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    """One browser for the whole run; each journey gets its own fresh context (cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["en", "ko"])
def language(request):
    return request.param


@pytest.fixture
def catalogue(transactional_db):
    """Plans and style packs, loaded the way an operator loads them."""
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def open_visit(request, chromium, live_server, transactional_db):
    """open_visit(language) opens a checked browser tab as a new visitor (fresh cookies).

    When the test ends, every page's HTML goes through the Nu HTML checker and any page the
    tab landed on without being checked fails the test; a failed step leaves a screenshot and
    the page's HTML in test-artifacts/<test>/<step>.png.
    """
    visits = []

    def _open(language, *, width=1280, height=900):
        context = chromium.new_context(
            locale=LOCALES[language],
            viewport={"width": width, "height": height},
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        visit = Visit(
            page=page,
            language=language,
            base_url=live_server.url,
            name=f"{request.node.name}-{len(visits) + 1}",
        )
        visits.append(visit)
        return visit

    yield _open

    report = getattr(request.node, "report_call", None)
    failed = report is None or report.failed
    problems = []
    if failed:
        for visit in visits:
            where = visit.save_failure_screenshot()
            print(f"screenshot of the failed step {visit.step!r}: {where}")
    else:
        for visit in visits:
            problems += visit.problems
            problems += [f"page never checked: {url}" for url in visit.unchecked_pages()]
        problems += validate_html([doc for visit in visits for doc in visit.documents])
    for visit in visits:
        visit.page.context.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
