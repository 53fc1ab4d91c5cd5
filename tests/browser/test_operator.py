"""The operator's way through the back office: log in, find a customer's session and refund it,
then work a data-subject request through verify and fulfil."""

import pytest

from privacy.models import DataSubjectRequest
from privacy.services import dsr_create
from sessions_app import services as session_services
from sessions_app.checkout import WITHDRAWAL_TERMS_VERSION, WithdrawalAgreement
from sessions_app.models import PhotoSession, Plan, Refund, StylePack
from tests.conftest import make_customer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pw-Operator-123"
# What the operator types, in the language they work in.
TYPED = {
    "en": {
        "reason": "The customer asked before uploading photos.",
        "method": "documents checked by phone call",
        "resolution": "Display name corrected.",
    },
    "ko": {
        "reason": "사진을 올리기 전에 고객이 요청함",
        "method": "전화로 신분증 확인",
        "resolution": "표시 이름을 고쳤습니다.",
    },
}


@pytest.fixture
def operator(transactional_db, language):
    from accounts.models import User

    return User.objects.create_superuser(
        email="operator@example.com",
        password=PASSWORD,
        display_name={"en": "Jordan", "ko": "지우"}[language],
        preferred_language=language,
    )


@pytest.fixture
def paid_session(catalogue, language, settings):
    """A customer's session paid through the local payment backend."""
    # The clearly marked local test payment backend runs only in development (DEBUG, no key).
    settings.DEBUG = True
    customer = make_customer(f"minjun-{language}@example.com", region="KR", language=language)
    photo_session = session_services.session_create(
        user=customer,
        plan=Plan.objects.get(slug="starter"),
        styles=StylePack.objects.all()[:2],
        currency="krw",
    )
    order = session_services.order_checkout_start(
        photo_session=photo_session,
        success_url="/",
        cancel_url="/",
        agreement=WithdrawalAgreement(version=WITHDRAWAL_TERMS_VERSION, language=language),
    )
    session_services.local_payment_complete(order=order)
    photo_session.refresh_from_db()
    assert photo_session.state == PhotoSession.State.PAID
    return photo_session


@pytest.fixture
def correction_request(paid_session):
    customer = paid_session.user
    return dsr_create(
        type=DataSubjectRequest.Type.CORRECTION,
        channel=DataSubjectRequest.Channel.VISITOR,
        email=customer.email,
        region="KR",
        details={"en": "My display name is misspelt.", "ko": "표시 이름의 철자가 틀렸습니다."}[
            customer.preferred_language
        ],
        language=customer.preferred_language,
    )


def test_operator_refunds_a_session_and_fulfils_a_request(
    open_visit, operator, paid_session, correction_request, language
):
    customer = paid_session.user
    visit = open_visit(language)

    visit.at("log in")
    page = visit.goto(f"/{language}/backoffice/")
    page.fill("#id_username", operator.email)
    page.fill("#id_password", PASSWORD)
    page = visit.submit(page.locator("#login-form [type=submit]"))

    visit.at("find the session")
    page = visit.click(page.locator("a[href$='/backoffice/sessions_app/photosession/']").first)
    page.fill("#searchbar", customer.email)
    page = visit.submit(page.locator("#changelist-search [type=submit]"))
    page = visit.click(page.locator(f"#result_list a:text-is('{paid_session.public_id}')"))

    visit.at("refund")
    page = visit.click(page.locator("a.button[href$='/refund/']"))
    typed = TYPED[language]
    page.fill("#id_reason", typed["reason"])
    page = visit.submit(page.locator("form [type=submit].default"))
    assert page.locator(".messagelist .success").count() == 1
    paid_session.refresh_from_db()
    assert paid_session.state == PhotoSession.State.REFUNDED
    order = paid_session.orders.get()
    refund = order.refunds.get()
    assert refund.status == Refund.Status.SUCCEEDED and refund.amount == order.amount

    visit.at("open the request")
    page = visit.goto(f"/{language}/backoffice/privacy/datasubjectrequest/")
    page = visit.click(page.locator(f"#result_list a[href$='/{correction_request.pk}/change/']"))

    visit.at("verify")
    page = visit.click(page.locator("a[href$='/verify/']"))
    page.fill("#id_method", typed["method"])
    page = visit.submit(page.locator("form [type=submit].default"))
    correction_request.refresh_from_db()
    assert correction_request.is_verified

    visit.at("fulfil")
    page = visit.click(page.locator("a[href$='/fulfil/']"))
    page.fill("#id_resolution", typed["resolution"])
    page = visit.submit(page.locator("form [type=submit].default"))
    assert page.locator(".messagelist .success").count() == 1
    correction_request.refresh_from_db()
    assert correction_request.status == DataSubjectRequest.Status.FULFILLED
    assert correction_request.resolution == typed["resolution"]
