"""Seed retention policies and processors; make the ledgers append-only in PostgreSQL."""

from django.db import migrations

RETENTION = [
    # category, days, counted from, reminder days before, description
    ("originals", 30, "delivered", 0, "Original photos: 30 days after generation completes (P08)"),
    ("training_artifacts", 30, "delivered", 0, "Latents and LoRA weights: 30 days (P08)"),
    ("deliverables", 90, "delivered", 5, "Generated portraits: 90 days after delivery (P09)"),
    ("exports", 7, "created", 0, "Data exports: 7 days after they are built"),
    ("audit_log", 1825, "created", 0, "Audit log: 5 years (P10)"),
    ("deletion_receipts", 1825, "created", 0, "Deletion receipts: 5 years (P10)"),
]

PROCESSORS = [
    (
        "Stripe",
        "Payment processing",
        "결제 처리",
        "United States",
        "Standard Contractual Clauses",
        "표준계약조항(SCC)",
    ),
    (
        "Amazon Web Services",
        "Encrypted storage of photos and portraits; computing",
        "사진과 인물 사진의 암호화 저장, 컴퓨팅",
        "United States, Republic of Korea",
        "Standard Contractual Clauses",
        "표준계약조항(SCC)",
    ),
    (
        "Email delivery provider",
        "Sending account and service emails",
        "계정 및 서비스 이메일 발송",
        "European Union",
        "Processing within the EU/EEA",
        "EU/EEA 내 처리",
    ),
]

APPEND_ONLY_TABLES = {
    # table: foreign-key columns that Django may null when the referenced row is deleted
    "privacy_consentrecord": ["user_id", "photo_session_id", "policy_version_id"],
    "privacy_auditevent": ["actor_id", "subject_id"],
    "privacy_deletionreceipt": ["subject_id"],
}

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION privacy_append_only() RETURNS trigger AS $$
DECLARE
  col text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '%% rows are append-only', TG_TABLE_NAME;
  END IF;
  -- The one update allowed: a referenced row went away and the reference became NULL.
  IF (to_jsonb(NEW) - TG_ARGV) IS DISTINCT FROM (to_jsonb(OLD) - TG_ARGV) THEN
    RAISE EXCEPTION '%% rows are append-only', TG_TABLE_NAME;
  END IF;
  FOREACH col IN ARRAY TG_ARGV LOOP
    IF (to_jsonb(NEW) ->> col) IS NOT NULL
       AND (to_jsonb(NEW) ->> col) IS DISTINCT FROM (to_jsonb(OLD) ->> col) THEN
      RAISE EXCEPTION '%% rows are append-only', TG_TABLE_NAME;
    END IF;
  END LOOP;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def seed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for category, days, event, reminder, description in RETENTION:
        RetentionPolicy.objects.get_or_create(
            category=category,
            defaults={
                "period_days": days,
                "counts_from": event,
                "reminder_days": reminder,
                "description": description,
            },
        )
    Processor = apps.get_model("privacy", "Processor")
    for order, (name, p_en, p_ko, location, s_en, s_ko) in enumerate(PROCESSORS):
        Processor.objects.get_or_create(
            name=name,
            defaults={
                "purpose_en": p_en,
                "purpose_ko": p_ko,
                "location": location,
                "transfer_safeguard_en": s_en,
                "transfer_safeguard_ko": s_ko,
                "order": order,
            },
        )


def triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        # SQLite's flush between tests deletes rows; the model layer refuses there instead.
        return
    schema_editor.execute(FUNCTION_SQL)
    for table, fk_columns in APPEND_ONLY_TABLES.items():
        args = ", ".join(f"'{c}'" for c in fk_columns)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION privacy_append_only({args})"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS privacy_append_only()")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_retention_requests_receipts")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(triggers, drop_triggers),
    ]
