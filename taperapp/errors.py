"""Errors the services raise that every interface translates the same way."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string


class Conflict(ValidationError):
    """The request contradicts what is already stored, e.g. a submission id that was used for
    a different report. The API answers 409 Conflict; a page shows it as a form error (it is a
    ValidationError, so every view that handles those handles this)."""


def refusal(request, *, status: int, title: str, message: str):
    """An answer given before (or instead of) a view: JSON ``{"detail": ...}`` for the API, a
    plain page in the error pages' style for people (no context processors: the request may
    be unusable). Used by the middleware's refusals (413, NUL, audit unavailable)."""

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    html = render_to_string("error_message.html", {"title": title, "message": message})
    return HttpResponse(html, status=status)
