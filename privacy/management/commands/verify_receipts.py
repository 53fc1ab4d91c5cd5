from django.core.management.base import BaseCommand, CommandError

from privacy import services
from privacy.models import DeletionReceipt


class Command(BaseCommand):
    help = (
        "Check the deletion-receipt hash chain: every entry must carry the hash of the one "
        "before and its own hash must match its content. Exits non-zero on a gap or an edit."
    )

    def handle(self, *args, **options):
        problems = services.receipts_verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The receipt chain is broken ({len(problems)} problem(s)).")
        head = DeletionReceipt.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        count = DeletionReceipt.objects.count()
        self.stdout.write(f"OK: {count} receipt(s), chain intact. Head: {head or '-'}")
