from django.core.management.base import BaseCommand, CommandError

from privacy import services
from privacy.models import DeletionReceipt
from privacy.services.receipts import checkpoint_read, receipts_anchored_checkpoint


class Command(BaseCommand):
    help = (
        "Check the deletion-receipt chain: every entry must carry the hash of the one before and "
        "its own keyed hash must match its content, and the chain must still hold the head of "
        "the latest checkpoint anchored in the audit log and of each --checkpoint given (the "
        "signed line from an anchor email). Exits non-zero on an edit, a gap, a rewritten or a "
        "truncated tail, or a checkpoint that is not genuine."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="SIGNED_TEXT",
            help="A signed checkpoint line from an anchor email (may be given several times).",
        )

    def handle(self, *args, checkpoint, **options):
        given = []
        for text in checkpoint:
            try:
                given.append(checkpoint_read(text))
            except ValueError as exc:
                raise CommandError(f"Checkpoint refused: {exc}.") from exc
        problems = services.receipts_verify(checkpoints=given)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The receipt chain is broken ({len(problems)} problem(s)).")
        head = DeletionReceipt.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        count = DeletionReceipt.objects.count()
        self.stdout.write(f"OK: {count} receipt(s), chain intact. Head: {head or '-'}")
        anchored = receipts_anchored_checkpoint()
        for source, cp in [("given", c) for c in given] + [("anchored", anchored)]:
            if cp is not None:
                self.stdout.write(
                    f"Holds the {source} checkpoint of {cp.at}: {cp.count} receipt(s), "
                    f"head {cp.head}."
                )
        if anchored is None:
            self.stdout.write(
                self.style.WARNING(
                    "No checkpoint anchored yet: a truncated tail shows only against a "
                    "--checkpoint given."
                )
            )
