"""The patient search, shared by the list page and the API so both find the same rows."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patients.models import Patient


class PatientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name or MRN"), method="filter_name_or_mrn", max_length=100
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Patient.Status.choices, empty_label=_("Any status")
    )

    class Meta:
        model = Patient
        fields = ["q", "status"]

    def filter_name_or_mrn(self, queryset, name, value):
        terms = value.split()
        if not terms:
            return queryset
        # Every word must match a name (anywhere) or the MRN (from its start), so
        # "ann smi" finds Anna Smith and "RIV-0" finds MRN RIV-001.
        for term in terms:
            queryset = queryset.filter(
                Q(given_name__icontains=term)
                | Q(family_name__icontains=term)
                | Q(mrn__istartswith=term)
            )
        return queryset


class PatientStatusFilter(django_filters.FilterSet):
    """The API list's query-string filter: status only. Names and MRNs are searched with
    POST /api/v1/patients/search/, so they never appear in a URL."""

    status = django_filters.ChoiceFilter(choices=Patient.Status.choices)

    class Meta:
        model = Patient
        fields = ["status"]
