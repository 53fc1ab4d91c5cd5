"""Legal deadlines roll over weekends and public holidays as each law counts them (P12)."""

import datetime

import pytest
import time_machine

from privacy import services
from privacy.models import DataSubjectRequest

pytestmark = pytest.mark.promise("P12")
D = datetime.date


def deadlines(law, received, region=""):
    return services.dsar_deadlines(jurisdictions=[law], received=received, region=region)


# --- GDPR and UK GDPR: one month (+2), Regulation 1182/71 Art. 3(4) -------------------------


@pytest.mark.parametrize(
    "received, due, extended",
    [
        (D(2027, 1, 31), D(2027, 3, 1), D(2027, 4, 30)),  # 28 Feb 2027 is a Sunday
        (D(2028, 1, 31), D(2028, 2, 29), D(2028, 5, 1)),  # 30 Apr 2028 is a Sunday
        (D(2026, 3, 31), D(2026, 4, 30), D(2026, 6, 30)),
        (D(2026, 12, 15), D(2027, 1, 15), D(2027, 3, 15)),
    ],
)
def test_gdpr_deadline_is_one_month_with_month_ends_and_weekends(received, due, extended):
    result = deadlines("GDPR", received)
    assert (result["due"], result["extended_due"]) == (due, extended)
    assert result["receipt_due"] is None


def test_a_gdpr_month_ending_on_a_saturday_ends_on_monday():
    # 13 Nov 2027 is a Saturday; 15 Nov is no holiday in France.
    assert deadlines("GDPR", D(2027, 10, 13), "FR")["due"] == D(2027, 11, 15)


@pytest.mark.parametrize(
    "received, region, due, why",
    [
        (D(2026, 4, 25), "DE", D(2026, 5, 26), "25 May 2026 is Whit Monday in Germany"),
        (D(2027, 4, 1), "DE", D(2027, 5, 3), "1 May 2027: Labour Day on a Saturday"),
        (D(2027, 2, 26), "DE", D(2027, 3, 30), "Good Friday, the weekend, Easter Monday"),
        (D(2026, 11, 25), "DE", D(2026, 12, 28), "Christmas Day, 26 Dec on a Saturday"),
        (D(2027, 4, 1), "GB", D(2027, 5, 4), "Saturday, Sunday, then the May Day bank holiday"),
        (D(2026, 11, 25), "GB", D(2026, 12, 29), "Boxing Day observed on Monday 28 Dec"),
    ],
)
def test_a_gdpr_month_ending_on_a_public_holiday_ends_on_the_next_working_day(
    received, region, due, why
):
    law = services.jurisdictions_for_region(region)[0]
    assert deadlines(law, received, region)["due"] == due, why


def test_the_extended_gdpr_deadline_rolls_the_same_way():
    # Three months from 17 Feb 2027 is Whit Monday 17 May 2027, a holiday in Germany.
    result = deadlines("GDPR", D(2027, 2, 17), "DE")
    assert (result["due"], result["extended_due"]) == (D(2027, 3, 17), D(2027, 5, 18))


@pytest.mark.parametrize(
    "region, laws",
    [("KR", ["PIPA"]), ("GB", ["UK"]), ("FR", ["GDPR"]), ("US", ["CCPA"]), ("JP", ["GDPR"])],
)
def test_each_region_gets_its_law_and_elsewhere_the_gdpr_timetable(region, laws):
    assert services.jurisdictions_for_region(region) == laws
    assert services.jurisdictions_for_region(region.lower()) == laws


def test_without_a_country_calendar_only_weekends_roll():
    # 6 May 2027 is Ascension Day, a holiday in Germany; "ZZ" has no calendar.
    assert deadlines("GDPR", D(2027, 4, 6), "DE")["due"] == D(2027, 5, 7)
    assert deadlines("GDPR", D(2027, 4, 6), "ZZ")["due"] == D(2027, 5, 6)
    assert deadlines("GDPR", D(2027, 4, 1), "")["due"] == D(2027, 5, 3)
    # A region under another law gives the GDPR no holidays: 25 Dec 2026 is a Friday.
    assert deadlines("GDPR", D(2026, 11, 25), "US")["due"] == D(2026, 12, 25)


# --- Korea: 10 days, Civil Act Arts. 157 and 161 ---------------------------------------------


@pytest.mark.parametrize(
    "received, due, why",
    [
        (D(2027, 1, 31), D(2027, 2, 10), "no holiday on the 10th day"),
        (D(2027, 3, 3), D(2027, 3, 15), "13 Mar 2027 is a Saturday, 14th a Sunday"),
        (D(2026, 9, 15), D(2026, 9, 28), "추석 25-26 Sep 2026, then the weekend"),
        (D(2027, 1, 28), D(2027, 2, 10), "설날 7-8 Feb 2027 and its substitute on 9 Feb"),
        (D(2027, 1, 30), D(2027, 2, 10), "the 10th day is 설날's substitute holiday"),
        (D(2028, 9, 25), D(2028, 10, 6), "5 Oct 2028 is 추석's substitute holiday, a Thursday"),
        (D(2027, 7, 7), D(2027, 7, 20), "제헌절 on Saturday 17 Jul; its substitute on 19 Jul"),
    ],
)
def test_a_korean_request_is_due_in_10_days_rolled_past_saturdays_and_holidays(received, due, why):
    assert deadlines("PIPA", received, "KR") == {
        "due": due,
        "extended_due": None,
        "receipt_due": None,
    }, why


# --- California: 45 calendar days (+45); receipt within 10 business days ---------------------


def test_california_45_days_plus_45_and_receipt_in_10_business_days():
    assert deadlines("CCPA", D(2026, 11, 27), "US") == {
        "due": D(2027, 1, 11),
        "extended_due": D(2027, 2, 25),
        "receipt_due": D(2026, 12, 11),
    }


def test_the_california_response_counts_calendar_days_and_does_not_roll():
    # 45 days after 11 Nov 2027 is Sunday 26 Dec 2027, the day after Christmas.
    assert deadlines("CCPA", D(2027, 11, 11), "US")["due"] == D(2027, 12, 26)


@pytest.mark.parametrize(
    "received, receipt_due, why",
    [
        (D(2027, 11, 19), D(2027, 12, 6), "Thanksgiving, Thu 25 Nov 2027"),
        (D(2027, 12, 20), D(2028, 1, 5), "Christmas and New Year observed on Fri 24 and 31 Dec"),
        (D(2026, 12, 18), D(2027, 1, 5), "Christmas Fri 25 Dec 2026 and New Year Fri 1 Jan"),
    ],
)
def test_the_california_receipt_confirmation_skips_us_federal_holidays(received, receipt_due, why):
    assert deadlines("CCPA", received, "US")["receipt_due"] == receipt_due, why


def test_the_strictest_law_wins():
    both = services.dsar_deadlines(jurisdictions=["GDPR", "CCPA"], received=D(2027, 1, 31))
    assert (both["due"], both["extended_due"]) == (D(2027, 3, 1), D(2027, 4, 30))
    assert both["receipt_due"] == D(2027, 2, 12)
    with_korea = services.dsar_deadlines(jurisdictions=["GDPR", "PIPA"], received=D(2026, 9, 15))
    assert with_korea["due"] == D(2026, 9, 28) and with_korea["extended_due"] is None


# --- the dates a request gets ----------------------------------------------------------------


def at(y, m, d):
    return time_machine.travel(datetime.datetime(y, m, d, 12, tzinfo=datetime.UTC), tick=False)


def test_a_request_gets_the_holidays_of_the_requesters_country(db):
    from tests.conftest import make_customer

    hans = make_customer("hans@example.com", region="DE")
    with at(2026, 4, 25):
        dsr = services.dsr_create(
            type="access", channel="customer", email=hans.email, region="DE", user=hans,
            verified_by_reauthentication=True,
        )  # fmt: skip
        visitor = services.dsr_create(
            type="access", channel="visitor", email="v@example.com", region="KR"
        )
    assert dsr.due_date == D(2026, 5, 26)
    # 10 days after 25 Apr 2026 is Children's Day, Tue 5 May.
    assert DataSubjectRequest.objects.get(pk=visitor.pk).due_date == D(2026, 5, 6)


def test_an_extension_rolls_over_the_accounts_countrys_holidays(db):
    from tests.conftest import make_customer

    hans = make_customer("hans@example.com", region="DE")
    with at(2027, 2, 17):
        dsr = services.dsr_create(
            type="access", channel="customer", email=hans.email, region="DE", user=hans,
            verified_by_reauthentication=True,
        )  # fmt: skip
    with at(2027, 3, 10):
        services.dsr_extend(dsr=dsr, actor=None, reason="Many files to gather")
    dsr.refresh_from_db()
    assert dsr.due_date == D(2027, 5, 18)
