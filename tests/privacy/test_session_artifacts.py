"""What training and generation write is erased per session, never across sessions (P05, P08).

Each test plants what a wrong query would reach: another session of the same customer with its
own weights, another job's portraits in the same session, the other kind of artifact.
"""

import pytest
from django.core.files.base import ContentFile

from privacy import services
from privacy.models import DeletionReceipt

from .conftest import stored_files

pytestmark = pytest.mark.django_db


def artifacts(ps, kind=None):
    from generation.models import TrainingArtifact

    rows = TrainingArtifact.objects.filter(photo_session=ps)
    return rows.filter(kind=kind) if kind else rows


def running_job(ps, kind):
    from generation.models import GenerationJob

    services.consent_record(
        user=ps.user, purpose="face_photos", granted=True, method="form", photo_session=ps
    )
    return GenerationJob.objects.create(photo_session=ps, kind=kind, state="running")


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P05")
@pytest.mark.promise("P08")
def test_a_new_checkpoint_replaces_the_sessions_older_one_of_its_kind_only(alice, make_session):
    from generation.services.training import artifact_save

    ps = make_session(alice, state="training")
    other = make_session(alice, state="training")
    (old,) = artifacts(ps, "lora")
    old_name = old.file.name
    job = running_job(ps, "training")

    new = artifact_save(job=job, kind="lora", data=b"weights step 2", filename="lora.bin", step=2)

    assert list(artifacts(ps, "lora")) == [new]
    assert old_name not in stored_files()
    assert artifacts(ps, "latents").count() == 1, "another kind stays"
    assert artifacts(other).count() == 2, "another session of the customer stays"
    # Said as it is: the personal model's weights, replaced by a later step of the training.
    (receipt,) = DeletionReceipt.objects.filter(subject=alice)
    assert (receipt.category, receipt.reason) == ("training_artifacts", "superseded")


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P03")
@pytest.mark.promise("P08")
def test_a_stopped_job_erases_its_sessions_weights_and_its_own_portraits_only(alice, make_session):
    from generation.models import Portrait
    from generation.services.jobs import job_cancelled

    ps = make_session(alice, state="generating")
    other = make_session(alice, state="generating")
    (earlier,) = Portrait.objects.filter(photo_session=ps)
    job = running_job(ps, "generation")
    made = []
    for index, preview in ((1, True), (2, False)):
        portrait = Portrait(photo_session=ps, style=earlier.style, job=job, index=index, seed=index)
        portrait.image.save(f"p{index}.png", ContentFile(b"made %d" % index), save=False)
        if preview:
            portrait.preview.save(f"p{index}.webp", ContentFile(b"preview"), save=False)
        portrait.save()
        made.append(portrait.image.name)

    job_cancelled(job_id=job.pk, reason="cancelled by the customer")

    job.refresh_from_db()
    assert job.state == "cancelled"
    assert not artifacts(ps).exists()
    assert artifacts(other).count() == 2
    assert list(Portrait.objects.filter(photo_session=ps)) == [earlier]
    assert Portrait.objects.filter(photo_session=other).count() == 1
    left = stored_files()
    assert not set(made) & set(left) and earlier.image.name in left
    receipts = DeletionReceipt.objects.filter(subject=alice)
    # The personal model and the prepared copies of the photos, each named for what it is.
    assert receipts.filter(category="training_artifacts").count() == 1
    assert receipts.filter(category="training_cache").count() == 1
    # Three files of the two portraits: two images and one preview.
    assert receipts.filter(category="deliverables").count() == 3
