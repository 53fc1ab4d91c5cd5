"""The studio pages through the test client: gallery, downloads, favourites, regeneration."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from tests.conftest import start_worker


def _png(color):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def delivered(db, alice, gen_plan, settings):
    """Alice's delivered session: 2 styles x 2 portraits, a LoRA on file."""
    from generation.models import GenerationJob, Portrait, TrainingArtifact
    from privacy.services import consent_record
    from sessions_app.models import StylePack
    from sessions_app.services import session_create, session_transition

    session = session_create(
        user=alice, plan=gen_plan, styles=StylePack.objects.all(), currency="usd"
    )
    for state in ["awaiting_payment", "paid", "collecting_photos", "queued", "training"]:
        session_transition(photo_session=session, to_state=state, cause="test setup")
    session_transition(photo_session=session, to_state="generating", cause="test setup")
    session_transition(photo_session=session, to_state="delivered", cause="test setup")
    consent_record(
        user=alice, purpose="face_photos", granted=True, method="form", photo_session=session
    )
    job = GenerationJob.objects.create(
        photo_session=session, kind="generation", state="succeeded", progress_total=4
    )
    lora = TrainingArtifact(photo_session=session, kind="lora", sha256="0" * 64)
    lora.file.save("pytorch_lora_weights.safetensors", ContentFile(b"lora"), save=False)
    lora.save()
    for style in StylePack.objects.all():
        for index in range(2):
            portrait = Portrait(
                photo_session=session, style=style, job=job, index=index, seed=index + 1
            )
            portrait.image.save("x.png", ContentFile(_png((index * 90, 40, 200))), save=False)
            portrait.preview.save("x.webp", ContentFile(b"webp"), save=False)
            portrait.width = portrait.height = 32
            portrait.save()
    return session


def test_the_gallery_shows_every_style_and_the_deletion_dates(client, alice, delivered):
    from privacy.services import retention_dates

    client.force_login(alice)
    page = client.get(f"/en/studio/{delivered.public_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Studio" in html and "Outdoor" in html
    assert html.count("Download full size") == 4
    assert "placeholders from the development model" in html
    dates = retention_dates(photo_session=delivered)
    if dates["gallery"]:
        assert "This gallery will be deleted on" in html


@pytest.mark.parametrize(
    "language, ai_made, not_for_id",
    [
        ("en", "made by generative AI", "not valid for ID cards, passports"),
        ("ko", "생성형 인공지능으로 만들어졌으며", "주민등록증, 여권, 운전면허증 등"),
    ],
)
def test_the_gallery_says_ai_made_and_not_for_id_cards_or_passports(
    client, alice, delivered, language, ai_made, not_for_id
):
    client.force_login(alice)
    html = client.get(f"/{language}/studio/{delivered.public_id}/").content.decode()
    assert ai_made in html
    assert not_for_id in html


def test_the_gallery_speaks_korean(client, alice, delivered):
    client.force_login(alice)
    page = client.get(f"/ko/studio/{delivered.public_id}/")
    assert page.status_code == 200
    assert 'lang="ko"' in page.content.decode()


def test_the_zip_streams_every_deliverable_to_the_owner_only(client, alice, bob, delivered):
    client.force_login(alice)
    response = client.get(f"/en/studio/{delivered.public_id}/download.zip")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    chunks = list(response.streaming_content)
    assert len(chunks) > 1  # written entry by entry, not built whole
    # Its length is known up front: the browser shows how much is left.
    assert int(response["Content-Length"]) == sum(len(c) for c in chunks)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert sorted(archive.namelist()) == sorted(
        [f"pictureus-{slug}-{n:02d}.png" for slug in ("studio", "outdoor") for n in (1, 2)]
    )
    for portrait in delivered.portraits.all():
        with portrait.image.open("rb") as fh:
            assert archive.read(portrait.download_name()) == fh.read()

    client.force_login(bob)
    assert client.get(f"/en/studio/{delivered.public_id}/download.zip").status_code == 404


def test_bob_gets_nothing_of_alices_studio(client, alice, bob, delivered):
    portrait = delivered.portraits.first()
    base = f"/en/studio/{delivered.public_id}"
    client.force_login(alice)
    assert client.get(f"{base}/").status_code == 200  # now in the cache: still not Bob's
    client.force_login(bob)
    for url in [
        f"{base}/",
        f"{base}/progress.json",
        f"{base}/portraits/{portrait.pk}/full/",
        f"{base}/portraits/{portrait.pk}/preview/",
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"{base}/portraits/{portrait.pk}/favourite/", {"favourite": "1"}).status_code
        == 404
    )
    style = delivered.styles.first()
    assert client.post(f"{base}/styles/{style.pk}/regenerate/").status_code == 404
    portrait.refresh_from_db()
    assert not portrait.favourite
    assert not delivered.generation_jobs.filter(kind="regeneration").exists()


def test_anonymous_visitors_are_sent_to_log_in(client, delivered):
    response = client.get(f"/en/studio/{delivered.public_id}/download.zip")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_one_portrait_downloads_at_full_size(client, alice, delivered):
    portrait = delivered.portraits.first()
    client.force_login(alice)
    response = client.get(f"/en/studio/{delivered.public_id}/portraits/{portrait.pk}/full/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    with portrait.image.open("rb") as fh:
        assert b"".join(response.streaming_content) == fh.read()
    assert (
        client.get(f"/en/studio/{delivered.public_id}/portraits/{portrait.pk}/other/").status_code
        == 404
    )


def test_favourites_are_marked_and_filtered(client, alice, delivered):
    portrait = delivered.portraits.first()
    client.force_login(alice)
    url = f"/en/studio/{delivered.public_id}/portraits/{portrait.pk}/favourite/"
    response = client.post(url, {"favourite": "1"}, headers={"Accept": "application/json"})
    assert response.json() == {"favourite": True}
    page = client.get(f"/en/studio/{delivered.public_id}/?favourites=1").content.decode()
    assert page.count("Download full size") == 1
    client.post(url, {"favourite": "0"})
    portrait.refresh_from_db()
    assert not portrait.favourite


def test_a_favourite_shows_on_the_next_view_of_the_gallery(client, alice, delivered):
    portrait = delivered.portraits.first()
    client.force_login(alice)
    gallery = f"/en/studio/{delivered.public_id}/"
    assert client.get(gallery).content.decode().count('aria-pressed="true"') == 0
    with CaptureQueriesContext(connection) as queries:
        client.get(gallery)
    assert len(queries) == 2, "the second view comes from the cache: the user and one check"
    url = f"{gallery}portraits/{portrait.pk}/favourite/"
    client.post(url, {"favourite": "1"}, headers={"Accept": "application/json"})
    assert client.get(gallery).content.decode().count('aria-pressed="true"') == 1
    client.post(url, {"favourite": "0"}, headers={"Accept": "application/json"})
    assert client.get(gallery).content.decode().count('aria-pressed="true"') == 0


def test_the_gallery_shows_live_progress_while_a_style_is_made_again(client, alice, delivered):
    from generation.models import GenerationJob

    style = delivered.styles.first()
    client.force_login(alice)
    gallery = f"/en/studio/{delivered.public_id}/"
    assert "gen-progress" not in client.get(gallery).content.decode()
    client.post(f"{gallery}styles/{style.pk}/regenerate/", follow=True)  # its message shown
    job = GenerationJob.objects.get(photo_session=delivered, kind="regeneration")
    GenerationJob.objects.filter(pk=job.pk).update(state="running", progress_done=1)
    assert 'value="50"' in client.get(gallery).content.decode()
    GenerationJob.objects.filter(pk=job.pk).update(progress_done=2)
    assert 'value="100"' in client.get(gallery).content.decode()


def test_a_style_can_be_made_again_once(client, alice, delivered):
    style = delivered.styles.first()
    url = f"/en/studio/{delivered.public_id}/styles/{style.pk}/regenerate/"
    client.force_login(alice)
    response = client.post(url, follow=True)
    assert "are on their way" in response.content.decode()
    job = delivered.generation_jobs.get(kind="regeneration")
    assert job.style == style and job.state == "queued" and job.progress_total == 2
    # The old portraits stay visible until the new ones are done.
    page = client.get(f"/en/studio/{delivered.public_id}/").content.decode()
    assert page.count("Download full size") == 4
    response = client.post(url, follow=True)
    assert "cannot be made again" in response.content.decode()
    assert delivered.generation_jobs.filter(kind="regeneration").count() == 1


def test_a_queued_session_shows_its_place_in_the_queue(client, alice, bob, paid_session):
    from generation.models import GenerationJob
    from tests.generation.conftest import submit

    first = paid_session(bob)
    submit(first)
    mine = paid_session(alice, seed=3)
    submit(mine)
    assert GenerationJob.objects.filter(state="queued").count() == 2
    client.force_login(alice)
    data = client.get(f"/en/studio/{mine.public_id}/progress.json").json()
    assert data["queue_position"] == 2
    assert "number 2 in the queue" in data["eta_text"]
    assert not data["finished"]
    page = client.get(f"/en/studio/{mine.public_id}/").content.decode()
    assert 'http-equiv="refresh"' in page  # the no-JavaScript fallback
    assert "js/progress.js" in page
    # The session page shows the same panel through the include.
    detail = client.get(f"/en/sessions/{mine.public_id}/").content.decode()
    assert "number 2 in the queue" in detail
    # Without JavaScript both pages reload themselves; a refresh is only valid in the head.
    for html in (page, detail):
        assert html.index('http-equiv="refresh"') < html.index("</head>")


def test_a_session_in_the_wrong_state_is_not_started(alice, paid_session):
    from generation.services.jobs import session_start

    session = paid_session(alice)
    assert session_start(photo_session=session) is None
    assert not session.generation_jobs.exists()


def test_the_admin_shows_jobs_and_queues_one_again(client, staff, delivered):
    job = delivered.generation_jobs.first()
    job.state = "failed"
    job.error = "CUDA out of memory"
    job.save()
    client.force_login(staff)
    page = client.get("/en/backoffice/generation/generationjob/")
    assert "CUDA out of memory" in page.content.decode()
    client.post(
        "/en/backoffice/generation/generationjob/",
        {"action": "retry_jobs", "_selected_action": [job.pk]},
    )
    job.refresh_from_db()
    assert job.state == "queued" and job.error == ""


def test_a_worker_refuses_to_start_with_a_missing_base_model(transactional_db, tmp_path):
    with pytest.raises(RuntimeError) as missing:
        start_worker(tmp_path, extra_env={"PICTUREUS_BASE_MODEL": "/nowhere/sd15"})
    assert "/nowhere/sd15" in str(missing.value) and "found nothing" in str(missing.value)

    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"x")
    with pytest.raises(RuntimeError) as wrong:
        start_worker(tmp_path, extra_env={"PICTUREUS_BASE_MODEL": str(folder)})
    assert str(folder) in str(wrong.value) and "weights.bin" in str(wrong.value)


def test_nothing_a_customer_sees_is_kept_by_the_browser_or_a_proxy(client, alice, delivered):
    """After signing out on a shared computer, the browser's history shows none of it again."""
    portrait = delivered.portraits.first()
    client.force_login(alice)
    for url in [
        "/en/sessions/",
        f"/en/sessions/{delivered.public_id}/",
        f"/en/sessions/{delivered.public_id}/photos/",
        f"/en/studio/{delivered.public_id}/",
        f"/en/studio/{delivered.public_id}/download.zip",
        f"/en/studio/{delivered.public_id}/portraits/{portrait.pk}/full/",
        f"/en/studio/{delivered.public_id}/portraits/{portrait.pk}/preview/",
        "/en/privacy/centre/",
        "/en/account/settings/",
        "/ko/",  # a public page, as this customer sees it (their name in the header)
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url
        if url == "/en/sessions/":
            # A second view comes from the server's page cache: the header is still there.
            assert client.get(url)["Cache-Control"] == "private, no-store"

    client.logout()
    assert "no-store" not in client.get("/en/").get("Cache-Control", "")
