"""One check for every "next" address a page redirects to after an action."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    """The ``next`` of the query or form if it points into this site, else ``default``: a
    crafted link must never send a signed-in clinician to another site (open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: "foo" would be looked up as a view name by redirect() (a 500).
    if (
        target.startswith("/")
        and "\x00" not in target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
