"""Exercising a privacy right changes no price and no service level (P25).

Each customer below exercises a different combination of rights through the privacy centre
(optional consents granted, declined or never asked; a restriction, objection or limit-use
request; Global Privacy Control), then is shown prices and buys a session through the real pages
with the local test payment backend. What they are offered and what they pay must be the same as
for a customer who exercised nothing. Whether processing may run while restricted (P16) is not
compared: that is the right itself, not a price or a level of service.
"""

import itertools
import re

import pytest
from django.test import Client

from generation.services.plans import training_settings
from privacy.models import ConsentRecord, ProcessingRestriction
from privacy.services import consent_latest, processing_restricted
from sessions_app.models import Order, PhotoSession, Plan, StylePack
from tests.conftest import make_customer

pytestmark = [pytest.mark.django_db, pytest.mark.promise("P25")]

P = ConsentRecord.Purpose
PASSWORD = "pw-Customer-123"
CONSENT_CHOICES = ("granted", "declined", "never asked")
RESTRICTIONS = ("none", *ProcessingRestriction.Kind.values)


@pytest.fixture
def catalogue(db, local_payments):
    """The demo plans and styles, as `make run` loads them; payments by the local backend."""
    import io

    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def local_payments(settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_BACKEND = "local"
    return settings


def main_of(response) -> str:
    """What a page shows in its main area, without the per-visitor token and session ids."""
    assert response.status_code == 200
    html = re.search(r"<main\b.*?</main>", response.content.decode(), re.S).group(0)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", html)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", html)


def exercise(client, user, lang, *, improvement, marketing, restriction):
    """Exercise the rights through the privacy centre, and check they took effect."""
    for purpose, choice in ((P.MODEL_IMPROVEMENT, improvement), (P.MARKETING_LIKENESS, marketing)):
        if choice != "never asked":
            granted = "1" if choice == "granted" else "0"
            client.post(
                f"/{lang}/privacy/centre/consent/", {"purpose": purpose, "granted": granted}
            )
        latest = consent_latest(user=user, purpose=purpose)
        assert (latest.granted if latest else "never asked") == {
            "granted": True,
            "declined": False,
            "never asked": "never asked",
        }[choice]
    if restriction != "none":
        client.post(
            f"/{lang}/privacy/centre/request/",
            {"type": restriction, "details": "", "password": PASSWORD},
        )
        assert user.processing_restrictions.get(lifted_at__isnull=True).kind == restriction
    else:
        assert not processing_restricted(user=user)


def offer_and_purchase(client, user, lang) -> dict:
    """Everything a customer is offered and charged, read from the pages and the records."""
    pricing = main_of(client.get(f"/{lang}/pricing/"))
    new_page = main_of(client.get(f"/{lang}/sessions/new/"))
    plan = re.search(r'name="plan" value="(\d+)"', new_page).group(1)
    count = Plan.objects.get(pk=plan).styles_count
    styles = list(StylePack.objects.filter(active=True).values_list("pk", flat=True)[:count])
    response = client.post(f"/{lang}/sessions/new/", {"plan": plan, "styles": styles})
    assert response.status_code == 302, main_of(response)
    photo_session = PhotoSession.objects.get(user=user)
    pay = client.post(
        f"/{lang}/sessions/{photo_session.public_id}/pay/", {"withdrawal_terms": "on"}
    )
    pay_page = main_of(client.get(pay["Location"]))
    client.post(pay["Location"])
    photo_session.refresh_from_db()
    order = Order.objects.get(photo_session=photo_session)
    plan = photo_session.plan
    return {
        "pricing page": pricing,
        "new-session page": new_page,
        "payment page": pay_page,
        "session": (plan.slug, photo_session.amount, photo_session.currency, photo_session.state),
        "styles": sorted(photo_session.styles.values_list("slug", flat=True)),
        "order": (order.amount, order.currency, order.status, order.backend),
        "plan": (
            plan.styles_count,
            plan.images_per_style,
            plan.images_total,
            plan.turnaround_hours,
        ),
        "training": training_settings(plan),
    }


def customer_offer(n, lang, *, gpc, **rights) -> dict:
    """A new customer exercises `rights`, then is shown prices and buys a session."""
    user = make_customer(f"customer{n}@example.com", language=lang)
    client = Client(**({"HTTP_SEC_GPC": "1"} if gpc else {}))
    client.force_login(user)
    exercise(client, user, lang, **rights)
    offer = offer_and_purchase(client, user, lang)
    sale = consent_latest(user=user, purpose=P.SALE_SHARING)
    assert (sale is not None and not sale.granted) == gpc
    return offer


NOTHING_EXERCISED = {
    "improvement": "never asked",
    "marketing": "never asked",
    "restriction": "none",
    "gpc": False,
}


def differences_from_nothing_exercised(lang, combinations) -> list:
    baseline = customer_offer(0, lang, **NOTHING_EXERCISED)
    assert baseline["order"][2] == Order.Status.PAID and baseline["order"][0] > 0
    found = []
    for n, rights in enumerate(combinations, start=1):
        offer = customer_offer(n, lang, **rights)
        found += [
            (combination(rights), what, *first_difference(baseline[what], offer[what]))
            for what in baseline
            if offer[what] != baseline[what]
        ]
    return found


def combination(rights) -> str:
    return ", ".join(f"{k}={v}" for k, v in rights.items())


def first_difference(expected, actual) -> tuple:
    """For pages, the stretch where they part; other values whole."""
    if not isinstance(expected, str):
        return expected, actual
    pairs = enumerate(zip(expected, actual, strict=False))
    at = next((i for i, (a, b) in pairs if a != b), min(len(expected), len(actual)))
    return expected[max(0, at - 30) : at + 50], actual[max(0, at - 30) : at + 50]


def test_every_combination_of_rights_gets_the_same_offer_and_price(catalogue):
    combinations = [
        {"improvement": i, "marketing": m, "restriction": r, "gpc": g}
        for i, m, r, g in itertools.product(
            CONSENT_CHOICES, CONSENT_CHOICES, RESTRICTIONS, (False, True)
        )
    ]
    assert len(combinations) == 72
    differences = differences_from_nothing_exercised("en", combinations)
    assert differences == [], "(rights exercised, what, nothing exercised, these rights)"


def test_the_korean_site_charges_the_same_won_whatever_rights_are_exercised(catalogue):
    # Both optional consents granted or both declined, under each restriction, GPC on and off.
    combinations = [
        {"improvement": choice, "marketing": choice, "restriction": r, "gpc": g}
        for choice, r, g in itertools.product(("granted", "declined"), RESTRICTIONS, (False, True))
    ]
    differences = differences_from_nothing_exercised("ko", combinations)
    assert differences == [], "(rights exercised, what, nothing exercised, these rights)"
