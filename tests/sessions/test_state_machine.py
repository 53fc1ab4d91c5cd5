import pytest

from sessions_app.models import PhotoSession
from sessions_app.services import InvalidTransition, session_transition


def test_it_records_each_transition_with_time_and_cause(alice, make_session):
    s = make_session(alice, "paid")
    s = session_transition(photo_session=s, to_state="collecting_photos", cause="consent given")
    assert s.state == "collecting_photos"
    assert s.state_changed_at is not None
    rows = list(s.transitions.values_list("from_state", "to_state", "cause"))
    assert rows[0] == ("", "draft", "created")
    assert rows[-1] == ("paid", "collecting_photos", "consent given")


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("draft", "paid"),
        ("awaiting_payment", "queued"),
        ("paid", "delivered"),
        ("collecting_photos", "training"),
        ("queued", "delivered"),
    ],
)
def test_it_refuses_transitions_outside_the_table(alice, make_session, start, to):
    s = make_session(alice, start)
    count = s.transitions.count()
    with pytest.raises(InvalidTransition):
        session_transition(photo_session=s, to_state=to, cause="skip ahead")
    s.refresh_from_db()
    assert s.state == start
    assert s.transitions.count() == count


def test_terminal_states_stay_terminal(alice, make_session):
    s = make_session(alice, "paid")
    session_transition(photo_session=s, to_state="refunded", cause="refund")
    for to in PhotoSession.State.values:
        with pytest.raises(InvalidTransition):
            session_transition(photo_session=s, to_state=to, cause="revive")


def test_it_stamps_delivery_and_originals_deletion(alice, make_session):
    s = make_session(alice, "generating")
    s = session_transition(photo_session=s, to_state="delivered", cause="gallery ready")
    assert s.delivered_at is not None
    s = session_transition(photo_session=s, to_state="originals_deleted", cause="retention")
    assert s.originals_deleted_at is not None


def test_failed_sessions_can_be_retried_or_refunded(alice, make_session):
    s = make_session(alice, "training")
    s = session_transition(photo_session=s, to_state="failed", cause="out of memory")
    assert s.failure_reason == "out of memory"
    s = session_transition(photo_session=s, to_state="queued", cause="retry")
    assert s.state == "queued"
