"""Portraits by likeness to their customer: the gallery's order, the operator's numbers
(scoring itself: tests/sessions/test_likeness.py)."""

from .test_gallery import delivered  # noqa: F401 - the fixture


def _plant(delivered, scores):  # noqa: F811 - the fixture's value
    style = delivered.styles.order_by("order", "id").first()
    portraits = list(delivered.portraits.filter(style=style).order_by("index"))
    for portrait, score in zip(portraits, scores, strict=True):
        portrait.likeness = score
        portrait.save(update_fields=["likeness"])
    return portraits


def test_the_gallery_shows_each_style_most_alike_first(client, alice, delivered):  # noqa: F811
    low, high = _plant(delivered, [0.55, 0.81])
    client.force_login(alice)
    html = client.get(f"/en/studio/{delivered.public_id}/").content.decode()
    assert html.index(f"/portraits/{high.pk}/") < html.index(f"/portraits/{low.pk}/")


def test_operators_see_the_likeness_of_a_sessions_portraits_as_numbers(
    client,
    staff,
    delivered,  # noqa: F811
):
    _plant(delivered, [0.42, 0.81])
    client.force_login(staff)
    html = client.get(
        f"/en/backoffice/sessions_app/photosession/{delivered.pk}/change/"
    ).content.decode()
    assert (
        "2 scored: lowest 0.42, median 0.61, highest 0.81; 1 below the same-person threshold "
        "(0.50); 2 without a recognisable face."
    ) in html
