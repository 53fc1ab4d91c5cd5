"""Staff roles as one explicit matrix (P24): every group, every model in the admin, each right.

The matrix is the least-privilege design written down. A permission added to or taken from a
group, a model newly registered in the admin, or an admin class that allows or refuses something
else makes these tests fail until the matrix is changed on purpose.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from privacy.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.promise("P24")]

GROUPS = ("Support", "Privacy officer", "Admin")
RIGHTS = {"v": "view", "a": "add", "c": "change", "d": "delete"}

# Every model registered in the admin: (Support, Privacy officer, Admin).
# v view, a add, c change, d delete; "" is no access at all.
# - Support answers customers: reads accounts, sessions, orders and jobs, never a photo or a
#   privacy record, and changes nothing but the status of a support request.
# - The privacy officer runs requests, holds, restrictions, retention, processors and policy
#   versions, and reads the ledgers; the one role that may open a customer's photo (audited).
# - Admin runs the shop: staff accounts, the catalogue, schedules, refunds and job retries, and
#   reads the audit trail; no privacy records, no photos.
# - Nobody adds, changes or deletes what is append-only or a record of what happened: consent
#   rows, audit events, deletion receipts, exports, orders, refunds, payment events, transitions.
# - Nobody deletes a customer, a session or a photo here: erasure runs through the privacy
#   workflow, which deletes the files and leaves receipts. Catalogue rows and processors are
#   retired with their "active" flag, so what a customer bought from stays on record.
IN_ADMIN = {
    "account.EmailAddress": ("", "", "vac"),
    "accounts.SupportRequest": ("vc", "", "vc"),
    "accounts.User": ("v", "v", "vac"),
    "auth.Group": ("", "", "v"),
    "django_celery_beat.ClockedSchedule": ("", "", "vac"),
    "django_celery_beat.CrontabSchedule": ("", "", "vac"),
    "django_celery_beat.IntervalSchedule": ("", "", "vac"),
    # Deleting a schedule would silently stop the retention sweep (P08): pause it instead.
    "django_celery_beat.PeriodicTask": ("", "vc", "vc"),
    "django_celery_beat.SolarSchedule": ("", "", "vac"),
    # Featuring a customer's portrait on the site: a dedicated right, given person by person
    # (with the right to see portraits), never to a whole group.
    "generation.FeaturedPortrait": ("", "", ""),
    "generation.GenerationJob": ("v", "v", "vc"),
    "privacy.AuditEvent": ("", "v", "v"),
    "privacy.ConsentRecord": ("", "v", ""),
    # The wording each consent row was given on: no personal data, read beside the ledger.
    "privacy.ConsentText": ("", "v", ""),
    "privacy.DataExport": ("", "v", ""),
    "privacy.DataSubjectRequest": ("", "vc", ""),
    "privacy.DeletionReceipt": ("", "v", ""),
    "privacy.LegalHold": ("", "vac", ""),
    "privacy.PolicyVersion": ("", "vac", ""),
    "privacy.ProcessingRestriction": ("", "vc", ""),
    "privacy.Processor": ("", "vac", ""),
    "privacy.RetentionPolicy": ("", "vc", ""),
    "sessions_app.Order": ("v", "v", "v"),
    # Change is what lets Admin refund a session; every field is read-only.
    "sessions_app.PhotoSession": ("v", "v", "vc"),
    "sessions_app.Plan": ("v", "", "vac"),
    "sessions_app.Refund": ("v", "v", "v"),
    "sessions_app.StylePack": ("v", "", "vac"),
    "sessions_app.WebhookEvent": ("", "", "v"),
    "sites.Site": ("", "", "vc"),
}

# Models not registered in the admin that a group still holds a permission on, and why.
# Any other model: no group holds anything.
NOT_IN_ADMIN = {
    # The plan page's price rows (an inline).
    "sessions_app.PlanPrice": ("v", "", "vacd"),
    # The plan page's extra-style price rows (an inline).
    "sessions_app.AddonPrice": ("v", "", "vacd"),
    # The session page's state history (an inline).
    "sessions_app.SessionTransition": ("v", "v", "v"),
    # The job page's artifact rows: step, size and hash, never the file.
    "generation.TrainingArtifact": ("", "", "v"),
    # Photo content: the audited staff photo view (and the photo measures inline).
    "sessions_app.SourcePhoto": ("", "v", ""),
    "generation.Portrait": ("", "v", ""),
}


def label(model) -> str:
    return model._meta.label


def cells_of(model, column: int) -> str:
    # A model missing from the matrix fails the first test; here it is expected to be closed.
    return IN_ADMIN.get(label(model), ("",) * len(GROUPS))[column]


def matrix_permissions(group: str) -> set[str]:
    column = GROUPS.index(group)
    perms = set()
    for model_label, cells in {**IN_ADMIN, **NOT_IN_ADMIN}.items():
        app_label, model_name = model_label.split(".")
        perms |= {f"{app_label}.{RIGHTS[r]}_{model_name.lower()}" for r in cells[column]}
    return perms


def member_of(group: str):
    from accounts.models import User

    slug = group.lower().replace(" ", "-")
    user = User.objects.create_user(email=f"{slug}@example.com", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # no permission cache from before the group was added


def admin_request(user):
    request = RequestFactory().get("/en/backoffice/")
    request.user = user
    return request


def test_every_model_in_the_admin_has_its_row_in_the_matrix():
    registered = {label(model) for model in admin.site._registry}
    assert registered - set(IN_ADMIN) == set(), "place the new admin model in the matrix"
    assert set(IN_ADMIN) - registered == set(), "the matrix lists a model no longer in the admin"
    assert set(NOT_IN_ADMIN).isdisjoint(registered)


def test_the_staff_groups_are_exactly_these():
    assert set(Group.objects.values_list("name", flat=True)) == set(GROUPS)


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_holds_exactly_its_column_of_the_matrix(group):
    granted = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group).permissions.select_related("content_type")
    }
    expected = matrix_permissions(group)
    assert sorted(granted - expected) == [], f"{group} holds more than the matrix gives"
    assert sorted(expected - granted) == [], f"{group} lacks what the matrix gives"
    # The same through the user's own permission checks.
    user = member_of(group)
    assert user.get_all_permissions() == expected
    assert not user.has_perm("privacy.change_consentrecord")


@pytest.mark.parametrize("group", GROUPS)
def test_the_admin_allows_each_group_exactly_its_column(group):
    column = GROUPS.index(group)
    request = admin_request(member_of(group))
    differences = []
    for model, model_admin in admin.site._registry.items():
        allowed = {
            "v": model_admin.has_view_permission(request),
            "a": model_admin.has_add_permission(request),
            "c": model_admin.has_change_permission(request),
            "d": model_admin.has_delete_permission(request),
        }
        actual = "".join(r for r in RIGHTS if allowed[r])
        if actual != cells_of(model, column):
            differences.append((label(model), cells_of(model, column), actual))
    assert differences == [], "(model, matrix, admin) where the admin differs"


@pytest.mark.parametrize("group", GROUPS)
def test_the_back_office_pages_open_exactly_where_the_matrix_says(client, group):
    column = GROUPS.index(group)
    client.force_login(member_of(group))
    differences = []
    for model in admin.site._registry:
        opts = model._meta
        base = f"/en/backoffice/{opts.app_label}/{opts.model_name}/"
        cells = cells_of(model, column)
        for url, right in ((base, "v"), (f"{base}add/", "a")):
            status = client.get(url).status_code
            if status != (200 if right in cells else 403):
                differences.append((url, status))
    assert differences == []


@pytest.mark.parametrize("group", ["Support", "Privacy officer", "Admin"])
def test_admin_actions_need_the_right_they_exercise(group):
    column = GROUPS.index(group)
    request = admin_request(member_of(group))
    offered = []
    for model, model_admin in admin.site._registry.items():
        cells = cells_of(model, column)
        if not cells:
            continue  # the change list, the one way to run an action, is refused
        for name in model_admin.get_actions(request):
            needed = "d" if name == "delete_selected" else "c"
            if needed not in cells:
                offered.append((label(model), name))
    assert offered == [], "actions offered to a group without the right they exercise"


# --- every staff view of a customer's photo is audited -------------------------------------


def photo_urls():
    from generation.models import Portrait
    from sessions_app.models import SourcePhoto

    return {
        "sessions_app.SourcePhoto": (
            f"/en/privacy/staff/photo/original/{SourcePhoto.objects.first().pk}/"
        ),
        "generation.Portrait": f"/en/privacy/staff/photo/portrait/{Portrait.objects.first().pk}/",
    }


@pytest.mark.parametrize("group", GROUPS)
def test_staff_open_a_customers_photo_only_as_the_matrix_says_and_each_view_is_audited(
    client, alice, make_session, group
):
    make_session(alice, photos=1)
    column = GROUPS.index(group)
    user = member_of(group)
    client.force_login(user)
    for model_label, url in photo_urls().items():
        may_view = "v" in NOT_IN_ADMIN[model_label][column]
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = client.get(url)
        assert response.status_code == (200 if may_view else 403), (group, model_label)
        new = list(AuditEvent.objects.filter(id__gt=last))
        if may_view:
            assert [(e.action, e.actor, e.subject, e.object_type) for e in new] == [
                ("staff.photo_view", user, alice, model_label.lower())
            ]
        else:
            assert [(e.action, e.actor) for e in new] == [("staff.photo_view_refused", user)]


def test_a_superuser_opening_a_photo_is_audited_too(client, alice, staff, make_session):
    make_session(alice, photos=1)
    client.force_login(staff)
    for url in photo_urls().values():
        assert client.get(url).status_code == 200
    views = AuditEvent.objects.filter(action="staff.photo_view")
    assert [(e.actor, e.subject) for e in views] == [(staff, alice), (staff, alice)]


def test_the_back_office_pages_never_show_a_photo_outside_the_audited_view(
    client, alice, staff, make_session
):
    """The session and job pages show measures only: no file name, no link to the bytes."""
    from generation.models import GenerationJob, Portrait, TrainingArtifact
    from sessions_app.models import SourcePhoto

    photo_session = make_session(alice, photos=2)
    files = [
        name
        for photo in SourcePhoto.objects.all()
        for name in (photo.image.name, photo.thumbnail.name)
    ]
    files += [n for p in Portrait.objects.all() for n in (p.image.name, p.preview.name)]
    files += [a.file.name for a in TrainingArtifact.objects.all()]
    client.force_login(staff)
    pages = [
        f"/en/backoffice/sessions_app/photosession/{photo_session.pk}/change/",
        f"/en/backoffice/generation/generationjob/{GenerationJob.objects.first().pk}/change/",
        "/en/backoffice/sessions_app/photosession/",
        "/en/backoffice/generation/generationjob/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for name in files:
            assert name not in html and name.rsplit("/", 1)[-1] not in html, (page, name)
        assert "/staff/photo/" not in html and "/photos/" not in html
    # The session page does show the photos' measures, to a role allowed to see them.
    assert "accepted photos (measures only)" in client.get(pages[0]).content.decode().lower()
