"""The API's router (apart from taperapp.api: DRF's routers import its views, which import the
permission class there)."""

from rest_framework import routers


class Router(routers.SimpleRouter):
    """Object URLs match only well-formed ids: UUIDs unless a viewset declares its own
    ``lookup_value_regex`` (audit events are numbered, medications have codes). Any other id
    is a 404 from the URL resolver, before a view or a filter sees it (malformed ids gave
    500s); the audit records it as a refusal."""

    UUID_PATTERN = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None and (
            getattr(viewset, "lookup_field", "pk") in ("pk", "id")
        ):
            viewset.lookup_value_regex = self.UUID_PATTERN
        return super().get_lookup_regex(viewset, lookup_prefix)
