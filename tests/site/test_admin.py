"""The back office: branded, with users and support requests for staff, closed to customers."""

import pytest

from .helpers import page_text

pytestmark = pytest.mark.django_db


def test_the_back_office_is_branded(client, staff):
    client.force_login(staff)
    response = client.get("/en/backoffice/")
    assert response.status_code == 200
    assert "PictureUs back office" in page_text(response)
    assert "PictureUs 백오피스" in page_text(client.get("/ko/backoffice/"))


def test_staff_see_users_and_support_requests(client, staff, alice):
    from accounts.models import SupportRequest

    SupportRequest.objects.create(
        name="Alice",
        email=alice.email,
        topic="order",
        message="Where is my receipt?",
        language="en",
    )
    client.force_login(staff)
    users = page_text(client.get("/en/backoffice/accounts/user/"))
    assert "alice@example.com" in users
    requests = client.get("/en/backoffice/accounts/supportrequest/")
    assert requests.status_code == 200
    assert "alice@example.com" in page_text(requests)
    detail = client.get(
        f"/en/backoffice/accounts/supportrequest/{SupportRequest.objects.get().pk}/change/"
    )
    assert "Where is my receipt?" in page_text(detail)


def test_customers_are_kept_out(client, bob):
    client.force_login(bob)
    response = client.get("/en/backoffice/accounts/supportrequest/")
    assert response.status_code == 302
    assert "/backoffice/login/" in response["Location"]


def test_yes_and_no_read_in_the_operators_language(client, staff):
    from privacy.services import dsr_create

    # The request list's "verified" column uses the admin's yes/no icon.
    dsr_create(type="access", channel="visitor", email="someone@example.com", region="KR")
    client.force_login(staff)
    korean = client.get("/ko/backoffice/privacy/datasubjectrequest/").content.decode()
    assert 'alt="아니요"' in korean and 'alt="False"' not in korean
    english = client.get("/en/backoffice/privacy/datasubjectrequest/").content.decode()
    assert 'alt="No"' in english
