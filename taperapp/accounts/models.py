import uuid
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class User(AbstractUser):
    """A person who signs in. UUID keys keep user ids opaque in URLs and the API."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.get_full_name() or self.username


class Clinic(models.Model):
    """A treatment site: the tenant. Every clinical row belongs to exactly one clinic."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Dates and times are shown to staff in this zone, e.g. Europe/London."),
    )
    phone = models.CharField(
        _("phone"),
        max_length=40,
        blank=True,
        default="",
        help_text=_(
            "Printed on patients' schedules as the number to call if symptoms get worse, "
            "e.g. 020 7946 0000."
        ),
    )
    emergency_number = models.CharField(
        _("emergency number"),
        max_length=20,
        blank=True,
        default="",
        help_text=_(
            "The local emergency number printed on patients' schedules, e.g. 999, 911 or 112. "
            "Left blank, the schedule says “your local emergency number”."
        ),
    )
    plans_need_cosign = models.BooleanField(
        _("plans that depart from the guideline need a co-sign"),
        default=False,
        help_text=_(
            "When on, a taper plan whose schedule departs from the guideline (its pace, a first "
            "cut above 10%, an increase...) is activated only after a second clinician has "
            "co-signed it."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="clinic_name_not_blank"),
            models.CheckConstraint(
                condition=~models.Q(time_zone=""), name="clinic_time_zone_not_blank"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Membership(models.Model):
    """A user's membership of a clinic. The role (group) is the user's; scope is the clinic."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    on_call = models.BooleanField(
        _("on call"), default=False, help_text=_("Receives escalation notifications.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="membership_unique_user_clinic")
        ]

    def __str__(self):
        return f"{self.user} @ {self.clinic}"
