"""The deletion-receipt chain resists someone who can write to the database (P10).

The attacker here has the database (raw SQL, the append-only triggers switched off) and the
code, but not settings.RECEIPT_CHAIN_KEY, nor the checkpoints emailed to the privacy contact.
"""

import hashlib
import io

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from privacy import services, tasks
from privacy.models import AuditEvent, DeletionReceipt
from privacy.services.receipts import CHECKPOINT_TAG, receipts_anchored_checkpoint

pytestmark = [pytest.mark.django_db, pytest.mark.promise("P10")]


def append(subject, n, start=0):
    return [
        services.receipt_append(
            subject=subject, category="originals", what=f"file {i}.jpg", reason="retention"
        )
        for i in range(start, start + n)
    ]


def as_attacker():
    """A block in which the database's append-only triggers do not fire (PostgreSQL)."""
    block = transaction.atomic()
    block.__enter__()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    return block


def sql(statement, params=()):
    block = as_attacker()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
    block.__exit__(None, None, None)


def rewrite_from(receipt, *, downgrade=False):
    """Edit `receipt` and recompute every later hash the only way possible without the key."""
    rows = list(DeletionReceipt.objects.filter(id__gte=receipt.pk).order_by("id"))
    prev = rows[0].prev_hash
    block = as_attacker()
    for row in rows:
        row.prev_hash = prev
        if row.pk == receipt.pk:
            row.what = "nothing deleted"
        if downgrade:
            row.hash_scheme = DeletionReceipt.HashScheme.SHA256
        plain = DeletionReceipt(**{f.attname: getattr(row, f.attname) for f in row._meta.fields})
        plain.hash_scheme = DeletionReceipt.HashScheme.SHA256
        row.entry_hash = plain.compute_hash()
        DeletionReceipt.objects.filter(pk=row.pk).update(
            what=row.what, prev_hash=row.prev_hash, entry_hash=row.entry_hash,
            hash_scheme=row.hash_scheme,
        )  # fmt: skip
        prev = row.entry_hash
    block.__exit__(None, None, None)


def anchor():
    """Run the daily task; return the signed checkpoint line the privacy contact received."""
    mail.outbox.clear()
    tasks.receipts_anchor()
    (email,) = mail.outbox
    assert email.to == [settings.PRIVACY_CONTACT_EMAIL]
    return next(line for line in email.body.splitlines() if line.startswith(CHECKPOINT_TAG))


def verify(*checkpoints):
    out, err = io.StringIO(), io.StringIO()
    args = [arg for text in checkpoints for arg in ("--checkpoint", text)]
    try:
        call_command("verify_receipts", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


def test_an_intact_chain_with_anchors_verifies(alice):
    append(alice, 3)
    first = anchor()
    event = AuditEvent.objects.get(action="receipts.anchored")
    assert event.detail["checkpoint"] == first and event.detail["count"] == 3
    append(alice, 2, start=3)
    second = anchor()
    append(alice, 1, start=5)
    assert services.receipts_verify() == []
    ok, out = verify(first, second)
    assert ok, out
    assert "OK: 6 receipt(s), chain intact" in out
    assert "Holds the anchored checkpoint" in out and "5 receipt(s)" in out
    assert all(r.hash_scheme == "hmac-sha256" for r in DeletionReceipt.objects.all())


def test_the_anchor_is_scheduled_daily():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="privacy.tasks.receipts_anchor")
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "days", True)


def test_a_tail_rewritten_with_plain_sha256_hashes_is_detected(alice):
    receipts = append(alice, 5)
    assert services.receipts_verify() == []
    rewrite_from(receipts[2])
    ok, report = verify()
    assert not ok
    for receipt in receipts[2:]:
        assert f"receipt {receipt.pk}: content altered" in report
    # Labelling the rewritten entries as old, unkeyed ones does not help either.
    rewrite_from(receipts[2], downgrade=True)
    problems = services.receipts_verify()
    assert f"receipt {receipts[2].pk}: unkeyed hash after keyed entries" in problems
    assert f"receipt {receipts[4].pk}: unkeyed hash after keyed entries" in problems


def test_a_chain_rewritten_whole_without_the_key_fails_against_the_anchor(alice):
    receipts = append(alice, 4)
    checkpoint = anchor()
    rewrite_from(receipts[0], downgrade=True)
    problems = services.receipts_verify()
    assert any(f"its head, receipt {receipts[-1].pk}, missing or altered" in p for p in problems)
    assert any("hashed without the key, after the chain was keyed" in p for p in problems)
    assert not verify(checkpoint)[0]


def test_the_hashes_depend_on_the_key_outside_the_database(alice):
    append(alice, 2)
    with override_settings(RECEIPT_CHAIN_KEY="another key, as an attacker would have to guess"):
        assert len(services.receipts_verify()) == 2


def test_a_truncated_tail_is_detected_against_the_anchor(alice):
    receipts = append(alice, 6)
    checkpoint = anchor()
    sql("DELETE FROM privacy_deletionreceipt WHERE id >= %s", [receipts[4].pk])
    # Without the anchor, what is left is a consistent chain.
    remaining = DeletionReceipt.objects.count()
    assert remaining == 4
    ok, report = verify()
    assert not ok
    assert "4 receipt(s) left of the 6 it saw (chain truncated)" in report
    assert f"its head, receipt {receipts[5].pk}, missing or altered" in report
    # New receipts after the cut bring the count back, not the anchored head.
    append(alice, 3, start=6)
    problems = services.receipts_verify()
    assert len(problems) == 1
    assert f"its head, receipt {receipts[5].pk}, missing or altered" in problems[0]
    # Whoever cut the chain may remove the anchors from the audit log too: the emailed
    # checkpoint still shows the cut.
    sql("DELETE FROM privacy_auditevent WHERE action = %s", ["receipts.anchored"])
    assert services.receipts_verify() == []
    ok, report = verify(checkpoint)
    assert not ok and f"its head, receipt {receipts[5].pk}, missing or altered" in report


def test_the_anchor_refuses_to_sign_a_damaged_chain(alice):
    receipts = append(alice, 3)
    anchor()
    sql("DELETE FROM privacy_deletionreceipt WHERE id = %s", [receipts[2].pk])
    mail.outbox.clear()
    result = tasks.receipts_anchor()
    assert "checkpoint" not in result and result["problems"]
    assert AuditEvent.objects.filter(action="receipts.anchored").count() == 1
    assert AuditEvent.objects.filter(action="receipts.anchor_refused").exists()
    (email,) = mail.outbox
    assert "failed its check" in email.subject and "chain truncated" in email.body
    assert "more problem" not in email.body  # every problem is listed


def test_a_checkpoint_with_a_bad_signature_is_refused(alice):
    append(alice, 3)
    checkpoint = anchor()
    altered = checkpoint.replace("count=3", "count=2")
    ok, report = verify(altered)
    assert not ok and "Checkpoint refused: bad signature" in report
    with override_settings(RECEIPT_CHAIN_KEY="a key someone with the database made up"):
        ok, report = verify(checkpoint)
        assert not ok and "Checkpoint refused: bad signature" in report
    assert not verify("count=3 head=1")[0]
    # A forged checkpoint slipped into the audit log is refused, and reported.
    AuditEvent.objects.create(action="receipts.anchored", detail={"checkpoint": altered})
    problems = services.receipts_verify()
    assert len(problems) == 1 and "anchored checkpoint refused (bad signature" in problems[0]
    assert verify(checkpoint)[0] is False


def old_receipts(subject, n):
    """Receipts as written before migration 0011: a plain SHA-256 over "|"-joined fields."""
    made, prev = [], services.GENESIS_HASH
    for i in range(n):
        old = DeletionReceipt(
            subject=subject, subject_ref=f"user:{subject.pk}", category="originals",
            what=f"file old-{i}.jpg", reason="request", deleted_at=timezone.now(),
            prev_hash=prev, hash_scheme="sha256",
        )  # fmt: skip
        fields = [
            old.prev_hash, old.subject_ref, old.category, old.what, old.content_sha256,
            old.storage_location, old.reason, old.detail, old.deleted_at.isoformat(),
        ]  # fmt: skip
        old.entry_hash = hashlib.sha256("|".join(fields).encode()).hexdigest()
        old.save()
        made.append(old)
        prev = old.entry_hash
    return made


def test_receipts_made_before_the_chain_was_keyed_still_verify(alice):
    last_old = old_receipts(alice, 3)[-1]
    new = append(alice, 2)
    assert new[0].prev_hash == last_old.entry_hash and new[0].hash_scheme == "hmac-sha256"
    assert services.receipts_verify() == []
    checkpoint = anchor()
    assert f"legacy={last_old.pk} " in checkpoint
    assert verify(checkpoint)[0]
    # They are still held by the chain: an edit shows.
    sql("UPDATE privacy_deletionreceipt SET what = %s WHERE id = %s", ["x", last_old.pk])
    assert services.receipts_verify() == [f"receipt {last_old.pk}: content altered"]


def test_receipts_keyed_after_an_anchor_cannot_pass_for_old_ones(alice):
    last_old = old_receipts(alice, 2)[-1]
    anchor()  # its head is an old receipt
    new = append(alice, 2)
    rewrite_from(new[0], downgrade=True)
    assert services.receipts_verify() == [
        f"checkpoint anchored {receipts_anchored_checkpoint().at}: receipt {new[1].pk} "
        f"hashed without the key, after the chain was keyed (none after receipt {last_old.pk})"
    ]


def test_an_anchor_names_the_head_it_signed_in_the_audit_log_and_its_result(alice):
    receipts = append(alice, 3)
    mail.outbox.clear()
    result = tasks.receipts_anchor()
    lines = mail.outbox[0].body.splitlines()
    line = next(text for text in lines if text.startswith(CHECKPOINT_TAG))
    assert result == {"checkpoint": line}
    (event,) = AuditEvent.objects.filter(action="receipts.anchored")
    head = receipts[-1]
    assert event.detail == {
        "checkpoint": line, "count": 3, "head": head.pk, "hash": head.entry_hash,
    }  # fmt: skip


def test_the_furthest_of_several_anchors_is_the_one_checked(alice):
    append(alice, 3)
    anchor()
    later = append(alice, 2, start=3)
    anchor()
    sql("DELETE FROM privacy_deletionreceipt WHERE id >= %s", [later[0].pk])
    problems = services.receipts_verify()
    assert any("3 receipt(s) left of the 5 it saw" in p for p in problems), problems


def test_a_checkpoint_of_an_empty_chain_holds_as_receipts_are_added(alice):
    checkpoint = anchor()
    assert "count=0 head=0" in checkpoint
    append(alice, 2)
    assert services.receipts_verify() == []
    assert verify(checkpoint)[0]


def test_a_signed_line_under_another_tag_is_no_checkpoint(alice):
    append(alice, 2)
    checkpoint = anchor()
    other = checkpoint.replace(CHECKPOINT_TAG, "some-other-chain", 1)
    ok, report = verify(other)
    assert not ok and "Checkpoint refused" in report


def test_a_refused_anchor_lists_fifty_problems_and_counts_the_rest(alice):
    append(alice, 53)
    sql("UPDATE privacy_deletionreceipt SET what = %s", ["nothing deleted"])
    mail.outbox.clear()
    result = tasks.receipts_anchor()
    assert len(result["problems"]) == 53
    (event,) = AuditEvent.objects.filter(action="receipts.anchor_refused")
    assert event.detail == {"problems": result["problems"][:50]}
    (email,) = mail.outbox
    listed = [line for line in email.body.splitlines() if line.startswith("- receipt")]
    assert listed == [f"- {p}" for p in result["problems"][:50]]
    assert "… and 3 more problems." in email.body


def test_an_unkeyed_receipt_after_an_empty_chain_was_anchored_is_detected(alice):
    checkpoint = anchor()
    old_receipts(alice, 1)
    ok, report = verify(checkpoint)
    assert not ok and "hashed without the key, after the chain was keyed" in report
