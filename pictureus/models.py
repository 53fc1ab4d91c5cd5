"""The back office's own records: which workers are alive, and which alerts went out."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerPresence(models.Model):
    """A Celery worker's last sign of life and the queues it consumes (written by the worker)."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    queues = models.JSONField(_("queues"), default=list)
    seen_at = models.DateTimeField(_("last seen at"), db_index=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname


class OperatorAlert(models.Model):
    """One occurrence of something operators were emailed about: sent once, never every beat.

    `key` names the occurrence (a job, a request, a failed run); a condition that comes and goes
    (no GPU worker) opens a new row each time it starts and closes it when it ends.
    """

    class Kind(models.TextChoices):
        JOB_FAILED = "job_failed", _("A job failed its last attempt")
        GPU_UNSERVED = "gpu_unserved", _("No worker serves the GPU queue while jobs wait")
        REQUEST_DUE = "request_due", _("A data-subject request is near its deadline")
        SWEEP_FAILED = "sweep_failed", _("The retention sweep failed")
        RECEIPTS_FAILED = "receipts_failed", _("The receipt chain failed its verification")
        ANCHOR_FAILED = "anchor_failed", _("The deletion-receipt chain could not be anchored")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("occurrence"), max_length=64)
    opened_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("operator alert")
        verbose_name_plural = _("operator alerts")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="operator_alert_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key})"
