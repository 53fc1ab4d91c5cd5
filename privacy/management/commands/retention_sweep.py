from django.core.management.base import BaseCommand

from privacy import services
from privacy.models import RetentionPolicy


class Command(BaseCommand):
    help = (
        "Delete what is due under the retention policies (bytes included), in every session "
        "whatever its state, skipping legal holds. With --dry-run, print what would be deleted "
        "and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Change nothing; only report.")
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args, dry_run=False, batch_size=100, **options):
        result = services.retention_sweep(dry_run=dry_run, batch_size=batch_size)
        verb = "Would delete" if dry_run else "Deleted"
        labels = dict(RetentionPolicy.Category.choices)
        originals = result["sessions"][RetentionPolicy.Category.ORIGINALS]
        self.stdout.write(
            f"{verb}: {result['rows'][RetentionPolicy.Category.ORIGINALS]} photo(s) of "
            f"{len(originals)} session(s)."
        )
        for category, sessions in result["sessions"].items():
            self.stdout.write(
                f"  {labels[category]}: {result['rows'][category]} row(s), "
                f"{len(sessions)} session(s)"
            )
            for public_id in sessions:
                self.stdout.write(f"    session {public_id}")
        for label, count in result["other"].items():
            self.stdout.write(f"  {label}: {count} row(s)")
        self.stdout.write(
            f"Gallery reminders {'due' if dry_run else 'sent'}: {result['reminders']}"
        )
        if result["erasures_resumed"]:
            self.stdout.write(f"Account erasures resumed: {result['erasures_resumed']}")
