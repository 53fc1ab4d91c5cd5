"""Dates and times read in the reader's own zone, named, on pages and in emails."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from privacy.models import ConsentRecord, DataExport
from privacy.services import consent_record, export_notify
from tests.conftest import make_customer

# 23:30 UTC is already the next morning in Seoul: a date in the wrong zone shows the wrong day.
MOMENT = datetime.datetime(2026, 12, 3, 23, 30, tzinfo=datetime.UTC)


def consent_at(user, moment=MOMENT):
    # The ledger is append-only (PostgreSQL refuses an update): the record is made at `moment`.
    with time_machine.travel(moment, tick=False):
        return consent_record(
            user=user,
            purpose=ConsentRecord.Purpose.COOKIES_OPTIONAL,
            granted=True,
            method=ConsentRecord.Method.FORM,
        )


def history_row(client, user, language):
    client.force_login(user)
    page = client.get(f"/{language}/privacy/centre/").content.decode()
    start = page.index("<tbody>", page.index('id="history-title"'))
    return page[start : page.index("</tr>", start)]


@pytest.mark.parametrize(
    "language, region, expected",
    [
        ("ko", "KR", "2026년 12월 4일 오전 8:30 KST"),
        # Korean readers without a region still read Korean time.
        ("ko", "", "2026년 12월 4일 오전 8:30 KST"),
        # A region decides over the language: an English reader living in Korea.
        ("en", "KR", "Dec. 4, 2026, 8:30 a.m. KST"),
        ("en", "US", "Dec. 3, 2026, 6:30 p.m. EST"),
        ("en", "", "Dec. 3, 2026, 11:30 p.m. UTC"),
    ],
)
def test_times_on_pages_are_in_the_readers_zone_and_name_it(client, db, language, region, expected):
    user = make_customer("minji@example.com", language=language, region=region)
    consent_at(user)
    assert expected in history_row(client, user, language)


def test_a_chosen_zone_wins_and_is_kept_in_settings(client, alice):
    consent_at(alice)
    client.force_login(alice)
    page = client.get("/en/account/settings/").content.decode()
    # The automatic choice says what it resolves to; every zone is offered by its offset.
    assert "Automatic, from your region and language (United States (New York) Time)" in page
    assert '<option value="Asia/Seoul">(UTC+09:00) South Korea Time</option>' in page
    korean = client.get("/ko/account/settings/").content.decode()
    assert "자동: 거주 지역과 언어에 따름 (미국(뉴욕) 시간)" in korean
    assert '<option value="Asia/Seoul">(UTC+09:00) 대한민국 시간</option>' in korean

    response = client.post(
        "/en/account/settings/",
        {"display_name": "Alice", "preferred_language": "en", "time_zone": "Europe/Berlin"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/Berlin"
    assert "Dec. 4, 2026, 12:30 a.m. CET" in history_row(client, alice, "en")

    # Back to automatic: the region decides again.
    client.post(
        "/en/account/settings/",
        {"display_name": "Alice", "preferred_language": "en", "time_zone": ""},
    )
    assert "6:30 p.m. EST" in history_row(client, alice, "en")


@pytest.mark.parametrize(
    "language, message",
    [("en", "Select a valid choice."), ("ko", "올바르게 선택해 주세요.")],
)
def test_an_unknown_zone_is_refused_in_the_readers_language_and_changes_nothing(
    client, db, language, message
):
    user = make_customer("minji@example.com", language=language, region="KR")
    client.force_login(user)
    response = client.post(
        f"/{language}/account/settings/",
        {"display_name": "Renamed", "preferred_language": language, "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert (user.time_zone, user.display_name) == ("", "Minji")


def test_a_visitor_reads_the_time_of_the_pages_language(db):
    # No account: the Korean site reads Korean time, the English one UTC (named).
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.utils import translation

    from pictureus.middleware import TimeZoneMiddleware

    seen = {}

    def page(request):
        seen[request.LANGUAGE_CODE] = Template('{{ t|date:"DATETIME_FORMAT" }}').render(
            Context({"t": MOMENT})
        )

    for language in ("ko", "en"):
        request = RequestFactory().get(f"/{language}/")
        request.LANGUAGE_CODE, request.user = language, AnonymousUser()
        with translation.override(language):
            TimeZoneMiddleware(page)(request)
    assert seen == {"ko": "2026년 12월 4일 오전 8:30 KST", "en": "Dec. 3, 2026, 11:30 p.m. UTC"}


@pytest.mark.parametrize(
    "language, region, zone, expected",
    [
        ("ko", "KR", "", "2026년 12월 4일 오전 8:30 KST"),
        ("en", "US", "", "Dec. 3, 2026, 6:30 p.m. EST"),
        ("en", "US", "Asia/Tokyo", "Dec. 4, 2026, 8:30 a.m. JST"),
    ],
)
def test_emails_name_times_in_the_recipients_zone(db, language, region, zone, expected):
    user = make_customer("minji@example.com", language=language, region=region)
    User.objects.filter(pk=user.pk).update(time_zone=zone)
    user.refresh_from_db()
    export = DataExport.objects.create(user=user, expires_at=MOMENT)
    export_notify(export=export)
    (message,) = mail.outbox
    assert expected in " ".join(message.body.split())
    assert expected in message.alternatives[0][0]


def test_every_offered_zone_is_a_real_zone(client, alice):
    from accounts.forms import AccountSettingsForm

    field = AccountSettingsForm(instance=alice).fields["time_zone"]
    offered = [value for value, _ in field.choices]
    assert offered[0] == "" and len(offered) > 300
    for name in offered[1:]:
        zoneinfo.ZoneInfo(name)


@pytest.mark.django_db
def test_a_policy_takes_effect_at_one_midnight_for_every_reader(client):
    # 16:00 UTC on 3 December is already 4 December in Seoul: shown in Korean time, but the
    # version in force turns over at the service's own midnight, the same for everyone.
    from privacy.models import PolicyVersion

    PolicyVersion.objects.create(
        kind="privacy",
        version="v9.0-tomorrow",
        effective_date=datetime.date(2026, 12, 4),
        last_updated=datetime.date(2026, 12, 1),
        material_change=True,
    )
    with time_machine.travel(datetime.datetime(2026, 12, 3, 16, 0, tzinfo=datetime.UTC)):
        for language in ("ko", "en"):
            assert "v9.0-tomorrow" not in client.get(f"/{language}/privacy/").content.decode()
    with time_machine.travel(datetime.datetime(2026, 12, 4, 0, 1, tzinfo=datetime.UTC)):
        for language in ("ko", "en"):
            assert "v9.0-tomorrow" in client.get(f"/{language}/privacy/").content.decode()
