"""A legal hold keeps exactly what it names, from every way of deleting, until it ends (P11).

Each test plants data the hold names beside data it does not (another session of the same
customer, another customer's erasure waiting on their own hold) and checks both.
"""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import SupportRequest
from privacy import services
from privacy.models import AuditEvent, DeletionReceipt, PendingErasure

from .conftest import login, stored_files

pytestmark = pytest.mark.django_db


def support_request(user):
    return SupportRequest.objects.create(
        user=user, name=user.display_name, email=user.email, topic="other", message="Hello",
        language="en",
    )  # fmt: skip


@pytest.mark.promise("P08")
@pytest.mark.promise("P11")
def test_delete_my_photos_now_keeps_the_held_session_and_counts_what_went(
    client, alice, make_session, staff
):
    from sessions_app.models import SourcePhoto

    held = make_session(alice, photos=2)
    free = make_session(alice, photos=3)
    services.hold_place(
        user=alice, scope="session", photo_session=held, reason="Court order 7", actor=staff
    )
    login(client, alice)
    response = client.post(
        "/en/privacy/centre/delete-photos/", {"password": "pw-Customer-123"}, follow=True
    )
    assert "(3 photos)" in response.content.decode()
    assert SourcePhoto.objects.filter(photo_session=held).count() == 2
    assert any("/originals/" in f for f in stored_files(f"sessions/{held.public_id}"))
    assert not SourcePhoto.objects.filter(photo_session=free).exists()
    (erased,) = AuditEvent.objects.filter(action="session.data_erased")
    assert (erased.actor, erased.object_id) == (alice, str(free.pk))


@pytest.mark.promise("P11")
def test_an_account_hold_stops_the_whole_erasure_until_it_ends(alice, bob, make_session, staff):
    from sessions_app.models import SourcePhoto

    ps = make_session(alice)
    message = support_request(alice)
    today = timezone.localdate()
    services.hold_place(
        user=alice, scope="account", reason="Litigation", actor=staff,
        until=today + datetime.timedelta(days=10),
    )  # fmt: skip
    # Bob's erasure waits on a hold of his own, which does not end with Alice's.
    services.hold_place(user=bob, scope="account", reason="Audit", actor=staff)
    assert services.account_erase(user=bob) is False

    assert services.account_erase(user=alice) is False
    alice.refresh_from_db()
    assert not alice.is_active, "signed out everywhere at once"
    assert alice.email == "alice@example.com"
    assert SourcePhoto.objects.filter(photo_session=ps).count() == 3
    assert SupportRequest.objects.filter(pk=message.pk, email=alice.email).exists()
    assert not DeletionReceipt.objects.filter(subject=alice).exists()
    actions = list(
        AuditEvent.objects.filter(subject=alice, action__startswith="account.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["account.erasure_started", "account.erasure_held"]

    # The day after the hold ends, the daily sweep finishes what the hold interrupted.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=11)):
        out = io.StringIO()
        call_command("retention_sweep", stdout=out)
    assert "Account erasures resumed: 1" in out.getvalue()
    alice.refresh_from_db()
    assert alice.email.endswith("@erased.invalid")
    assert not SourcePhoto.objects.filter(photo_session=ps).exists()
    assert not SupportRequest.objects.filter(email="alice@example.com").exists()
    receipts = DeletionReceipt.objects.filter(subject_ref=f"user:{alice.pk}", category="account")
    (closing,) = receipts.filter(what=f"account {alice.pk} anonymised")
    assert closing.detail == "orders kept anonymised as the law requires"
    # The rows went as their holding says: the account anonymised, the rest deleted.
    assert {"1 users anonymised", "1 support requests deleted"} <= {r.what for r in receipts}
    assert PendingErasure.objects.get(user=alice).completed_at is not None
    assert PendingErasure.objects.get(user=bob).completed_at is None
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


@pytest.mark.promise("P03")
@pytest.mark.promise("P11")
def test_withdrawing_face_photo_consent_for_the_account_keeps_the_held_session(
    alice, make_session, staff
):
    from sessions_app.models import SourcePhoto

    held = make_session(alice)
    free = make_session(alice)
    services.hold_place(
        user=alice, scope="session", photo_session=held, reason="Court order 9", actor=staff
    )
    services.consent_withdraw(user=alice, purpose="face_photos", actor=staff)
    assert SourcePhoto.objects.filter(photo_session=held).count() == 3
    assert not SourcePhoto.objects.filter(photo_session=free).exists()
    (erased,) = AuditEvent.objects.filter(action="session.data_erased")
    assert (erased.actor, erased.object_id) == (staff, str(free.pk))


@pytest.mark.promise("P11")
def test_a_session_hold_leaves_the_account_erasure_pending_and_says_so(alice, make_session, staff):
    held = make_session(alice)
    services.hold_place(
        user=alice, scope="session", photo_session=held, reason="Court order 3", actor=staff
    )
    assert services.account_erase(user=alice) is False
    assert PendingErasure.objects.get(user=alice).completed_at is None
    assert AuditEvent.objects.filter(subject=alice, action="account.erasure_held").count() == 1
    assert not AuditEvent.objects.filter(subject=alice, action="account.erased").exists()
