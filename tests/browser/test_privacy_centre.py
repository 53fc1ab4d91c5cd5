"""In the privacy centre a customer downloads their data, withdraws their face-photo consent
(which deletes their photos) and deletes their account."""

import io
import json
import zipfile

import pytest

from accounts.models import User
from sessions_app.models import SourcePhoto
from tests.conftest import make_customer, wait_for

from .steps import CUSTOMER_PASSWORD, log_in, session_with_photos

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def customer_with_photos(catalogue, language):
    customer = make_customer(f"seoyeon-{language}@example.com", region="KR", language=language)
    session_with_photos(customer, photos=2)
    return customer


def test_customer_exports_withdraws_and_deletes_their_account(
    open_visit, customer_with_photos, language, celery_worker
):
    customer = customer_with_photos
    visit = open_visit(language)
    page = log_in(visit, language, customer.email)

    visit.at("privacy centre")
    page = visit.click(page.locator(".account-nav a[href$='/privacy/centre/']"))

    visit.at("data export")
    page = visit.submit(page.locator("form[action$='/centre/export/'] button"))
    link = page.locator("a[href*='/privacy/export/']")

    def export_ready():
        visit.goto(page.url)
        return link.count() > 0

    wait_for(export_ready, timeout=60, interval=1, message="the export to be ready")
    with page.expect_download() as download_info:
        link.click()
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    names = archive.namelist()
    data_name = next(n for n in names if n.endswith(".json"))
    data = json.loads(archive.read(data_name))
    assert customer.email in json.dumps(data)
    assert sum(n.lower().endswith((".jpg", ".jpeg")) for n in names) == 2

    visit.at("withdraw face-photo consent")
    page = visit.submit(
        page.locator("form[action$='/centre/consent/']:has(input[name=session]) button")
    )
    assert SourcePhoto.objects.count() == 0

    visit.at("delete the account")
    page = visit.click(page.locator("main a[href$='/centre/delete-account/']"))
    page.fill("input[name=password]", CUSTOMER_PASSWORD)
    page = visit.submit(page.locator("main form button[type=submit]"))
    assert not User.objects.filter(email=customer.email).exists()
