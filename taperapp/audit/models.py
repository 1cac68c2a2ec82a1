from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One access to protected health information, or an authentication event.

    Append-only: the application never updates or deletes a row (save refuses an update,
    delete refuses), and on PostgreSQL a trigger refuses UPDATE and DELETE from anyone
    (migration 0002). Separate from change history, which pghistory keeps per clinical table.
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("ok")
        REFUSED = "refused", _("refused")
        INVALID = "invalid", _("invalid input")
        FAILED = "failed", _("failed")
        ERROR = "error", _("server error")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=20, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.UUIDField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    view = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=8, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [("export_auditevent", "Can export the audit log")]
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["patient_id", "at"])]

    def __str__(self):
        who = self.username or "-"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.object_type} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit events are append-only.")
