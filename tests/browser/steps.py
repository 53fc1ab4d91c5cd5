"""Steps and data several journeys share: a customer's session ready for its photos' work, and
logging in as a customer."""

from sessions_app import services as session_services
from sessions_app.models import PhotoSession, Plan, StylePack
from sessions_app.photos import photo_process
from tests.sessions.images import face_jpeg

CUSTOMER_PASSWORD = "pw-Customer-123"


def paid_session(customer) -> PhotoSession:
    """A paid starter session of two styles, before consent."""
    photo_session = session_services.session_create(
        user=customer,
        plan=Plan.objects.get(slug="starter"),
        styles=StylePack.objects.order_by("order")[:2],
        currency="krw",
    )
    for state in ("awaiting_payment", "paid"):
        photo_session = session_services.session_transition(
            photo_session=photo_session, to_state=state, cause="test setup"
        )
    return photo_session


def session_with_photos(customer, *, photos: int) -> PhotoSession:
    """A paid starter session with face-photo consent and `photos` accepted photos."""
    photo_session = paid_session(customer)
    session_services.session_consent_give(
        photo_session=photo_session,
        face_photos=True,
        only_me=True,
        model_improvement=False,
        marketing_likeness=False,
    )
    for n in range(photos):
        session_services.photo_accept(
            photo_session=PhotoSession.objects.get(pk=photo_session.pk),
            processed=photo_process(face_jpeg(n)),
        )
    return PhotoSession.objects.get(pk=photo_session.pk)


def log_in(visit, language: str, email: str, password: str = CUSTOMER_PASSWORD):
    """Log in from the login page, turning the cookie banner down first; the page after."""
    visit.at("log in")
    page = visit.goto(f"/{language}/accounts/login/")
    page.locator("[data-cookie-banner] button[value=reject]").click()
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    return visit.submit(page.locator("main form button[type=submit]"))
