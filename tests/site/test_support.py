"""The support form: stored, emailed to the operators, validated, rate-limited, confirmed."""

import pytest
from django.core import mail

from .helpers import page_text

pytestmark = pytest.mark.django_db

MESSAGE = {
    "name": "Minji Park",
    "email": "minji@example.com",
    "topic": "photos",
    "message": "One of my portraits has an extra ear. Could you have a look?",
}


def test_a_message_is_stored_and_emailed_to_the_operators(
    client, settings, django_capture_on_commit_callbacks
):
    from accounts.models import SupportRequest

    settings.OPERATORS_EMAIL = ["ops@pictureus.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ko/support/", MESSAGE)
    assert response.status_code == 302 and response["Location"] == "/ko/support/sent/"
    request = SupportRequest.objects.get()
    assert (request.email, request.topic, request.language) == ("minji@example.com", "photos", "ko")
    assert request.user is None and request.status == "open"

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ops@pictureus.example"]
    assert email.reply_to == ["minji@example.com"]
    assert f"#{request.pk}" in email.subject
    assert "extra ear" in email.body and "Photos and results" in email.body

    confirmation = page_text(client.get(response["Location"]))
    assert "메시지가 잘 도착했습니다" in confirmation
    assert f"#{request.pk}" in confirmation


def test_a_signed_in_customer_is_linked_and_prefilled(client, alice):
    from accounts.models import SupportRequest

    client.force_login(alice)
    body = client.get("/en/support/").content.decode()
    assert 'value="alice@example.com"' in body
    client.post("/en/support/", {**MESSAGE, "email": alice.email})
    assert SupportRequest.objects.get().user == alice


@pytest.mark.parametrize(
    "change,field",
    [
        ({"email": "not-an-address"}, "email"),
        ({"message": "help"}, "message"),
        ({"topic": "nonsense"}, "topic"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_keeps_what_was_typed(client, change, field):
    from accounts.models import SupportRequest

    data = {**MESSAGE, **change}
    response = client.post("/en/support/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body
    assert "One of my portraits has an extra ear" in body or field == "message"
    assert 'value="Minji Park"' in body or field == "name"
    assert SupportRequest.objects.count() == 0
    assert mail.outbox == []


def test_errors_are_in_the_pages_language(client):
    response = client.post("/ko/support/", {**MESSAGE, "message": "도와줘요"})
    assert "조금만 더 자세히 적어 주세요" in page_text(response)


def test_the_form_is_rate_limited(client, django_capture_on_commit_callbacks):
    from accounts.models import SupportRequest

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert client.post("/en/support/", MESSAGE).status_code == 302
        response = client.post("/en/support/", MESSAGE)
    assert response.status_code == 429
    assert "try again in an hour" in page_text(response)
    assert "One of my portraits has an extra ear" in response.content.decode()
    assert SupportRequest.objects.count() == 5
    assert len(mail.outbox) == 5


def test_the_rate_limit_is_per_sender(client, alice, bob):
    client.force_login(alice)
    for _ in range(5):
        client.post("/en/support/", MESSAGE)
    assert client.post("/en/support/", MESSAGE).status_code == 429
    client.force_login(bob)
    assert client.post("/en/support/", MESSAGE).status_code == 302


def test_the_confirmation_page_without_a_message_is_still_friendly(client):
    response = client.get("/en/support/sent/")
    assert response.status_code == 200
    assert "Thank you" in page_text(response)
