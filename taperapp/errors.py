"""Errors the services raise that every interface translates the same way."""

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The request contradicts what is already stored, e.g. a submission id that was used for
    a different report. The API answers 409 Conflict; a page shows it as a form error (it is a
    ValidationError, so every view that handles those handles this)."""
