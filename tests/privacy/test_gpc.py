"""Global Privacy Control: the opt-out of sale/sharing reaches the browser and the account (P15).

A browser that sends `Sec-GPC: 1` and signs in afterwards gets the opt-out for the account as
soon as it signs in; a customer gets it once, not on every request; and two customers on two
browsers (or one after the other on a shared browser) never get each other's rows.
"""

import pytest
from django.core.cache import cache
from django.test import Client

from privacy import services
from privacy.models import ConsentRecord

from .conftest import login

pytestmark = pytest.mark.django_db

SALE = ConsentRecord.Purpose.SALE_SHARING
PASSWORD = "pw-Customer-123"


def gpc_browser() -> Client:
    """A browser that sends the signal with every request, as browsers with GPC on do."""
    return Client(HTTP_SEC_GPC="1")


def sale_rows(**subject):
    return list(ConsentRecord.objects.filter(purpose=SALE, **subject).order_by("id"))


def sign_in(browser, user):
    response = browser.post("/en/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the login form refused the customer"
    return response


@pytest.mark.promise("P15")
def test_a_gpc_browser_that_signs_in_gets_the_opt_out_for_the_account_at_once(alice):
    browser = gpc_browser()
    bid = browser.get("/en/").cookies["pu_bid"].value
    assert [(r.user, r.granted, r.method) for r in sale_rows(browser_id=bid)] == [
        (None, False, "gpc")
    ]

    sign_in(browser, alice)
    # Recorded on the login response itself, before any later request.
    [row] = sale_rows(user=alice)
    assert (row.granted, row.method, row.browser_id) == (False, "gpc", bid)
    assert not services.consent_latest(user=alice, purpose=SALE).granted

    # The pages after it add nothing more.
    browser.get("/en/sessions/")
    browser.get("/en/privacy/centre/")
    assert len(sale_rows()) == 2


@pytest.mark.promise("P15")
def test_the_first_gpc_request_of_a_signed_in_customer_records_the_account_once(alice):
    browser = login(Client(), alice)  # signed in before the signal was switched on
    browser.get("/en/")
    assert not sale_rows()

    browser.get("/en/", HTTP_SEC_GPC="1")
    bid = browser.cookies["pu_bid"].value
    assert [(r.user, r.browser_id) for r in sale_rows()] == [(None, bid), (alice, bid)]
    for _ in range(3):
        browser.get("/en/privacy/centre/", HTTP_SEC_GPC="1")
    # Even when the cache forgot, the ledger already holds the opt-out: no second row.
    cache.clear()
    browser.get("/en/", HTTP_SEC_GPC="1")
    assert len(sale_rows()) == 2


@pytest.mark.promise("P15")
def test_two_customers_on_two_browsers_never_get_each_others_rows(alice, bob):
    alice_browser, bob_browser = gpc_browser(), Client()
    alice_browser.get("/en/")
    sign_in(alice_browser, alice)
    sign_in(bob_browser, bob)
    bob_browser.get("/en/privacy/centre/")
    alice_bid = alice_browser.cookies["pu_bid"].value

    assert not sale_rows(user=bob), "Bob's browser sends no signal"
    assert {r.browser_id for r in sale_rows()} == {alice_bid}
    assert [r.user for r in sale_rows(user__isnull=False)] == [alice]

    # Bob switches the signal on: his own row, from his own browser.
    bob_browser.get("/en/", HTTP_SEC_GPC="1")
    bob_bid = bob_browser.cookies["pu_bid"].value
    assert bob_bid != alice_bid
    assert [r.browser_id for r in sale_rows(user=bob)] == [bob_bid]
    assert [r.browser_id for r in sale_rows(user=alice)] == [alice_bid]


@pytest.mark.promise("P15")
def test_a_second_customer_on_a_shared_gpc_browser_gets_their_own_row(alice, bob):
    browser = gpc_browser()
    sign_in(browser, alice)
    browser.post("/en/accounts/logout/")
    sign_in(browser, bob)
    browser.get("/en/")
    bid = browser.cookies["pu_bid"].value
    assert [(r.user, r.browser_id) for r in sale_rows(user__isnull=False)] == [
        (alice, bid),
        (bob, bid),
    ]


@pytest.mark.promise("P15")
def test_each_visitors_browser_gets_its_own_opt_out(db):
    first, second = gpc_browser(), gpc_browser()
    first.get("/en/")
    second.get("/en/")
    bids = {first.cookies["pu_bid"].value, second.cookies["pu_bid"].value}
    assert len(bids) == 2
    assert {r.browser_id for r in sale_rows(user__isnull=True)} == bids


@pytest.mark.promise("P15")
def test_later_requests_of_a_recorded_browser_do_not_touch_the_ledger(alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = gpc_browser()
    sign_in(browser, alice)
    browser.get("/en/")
    rows = sale_rows()
    with CaptureQueriesContext(connection) as queries:
        browser.get("/en/pricing/")
    assert not [q for q in queries if "privacy_consentrecord" in (q["sql"] or "")]
    assert sale_rows() == rows
