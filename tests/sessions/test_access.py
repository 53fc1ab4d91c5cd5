"""One way to reach a photo session: its owner, or staff with the permission, audited."""

import pytest

from privacy.models import AuditEvent


@pytest.fixture
def helper_desk(db):
    """Staff who may look at sessions but not change them (no refunds)."""
    from django.contrib.auth.models import Permission

    from accounts.models import User

    user = User.objects.create_user(email="desk@example.com", password="pw-Desk-12345")
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_photosession"))
    return user


def test_the_owner_reaches_her_session_and_another_customer_gets_404(
    client, alice, bob, make_session
):
    mine = make_session(alice, "paid")
    client.force_login(alice)
    for url in [f"/en/sessions/{mine.public_id}/", f"/en/studio/{mine.public_id}/progress.json"]:
        assert client.get(url).status_code == 200, url
    client.force_login(bob)
    for url in [f"/en/sessions/{mine.public_id}/", f"/en/studio/{mine.public_id}/progress.json"]:
        assert client.get(url).status_code == 404, url


def test_staff_reach_a_session_only_with_the_permission_and_each_view_is_audited(
    client, alice, staff, helper_desk, make_session
):
    mine = make_session(alice, "paid")
    url = f"/en/backoffice/sessions_app/photosession/{mine.pk}/refund/"

    client.force_login(helper_desk)
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="sessions.staff_view").exists()

    client.force_login(staff)
    assert client.get(url).status_code == 200
    event = AuditEvent.objects.get(action="sessions.staff_view")
    assert event.actor == staff and event.subject == alice
    assert event.object_id == str(mine.pk)
