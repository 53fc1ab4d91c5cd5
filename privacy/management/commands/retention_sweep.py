from django.core.management.base import BaseCommand

from privacy import services


class Command(BaseCommand):
    help = (
        "Delete what is due under the retention policies (bytes included), skipping legal "
        "holds. With --dry-run, print what would be deleted and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Change nothing; only report.")
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args, dry_run=False, batch_size=100, **options):
        result = services.retention_sweep(dry_run=dry_run, batch_size=batch_size)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb}: originals and training artifacts of {len(result['originals_sessions'])} "
            f"session(s) ({result['photos']} photo(s)); galleries of "
            f"{len(result['gallery_sessions'])} session(s); {result['exports']} export(s)."
        )
        for public_id in result["originals_sessions"]:
            self.stdout.write(f"  originals: session {public_id}")
        for public_id in result["gallery_sessions"]:
            self.stdout.write(f"  gallery: session {public_id}")
        self.stdout.write(
            f"Gallery reminders {'due' if dry_run else 'sent'}: {result['reminders']}"
        )
