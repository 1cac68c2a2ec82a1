from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from patients import api as patients_api
from patients.plans.api import MedicationViewSet, TaperPlanViewSet
from symptoms.alerts.api import AlertViewSet
from symptoms.api import PatientLogsMixin, SymptomLogViewSet
from taperapp.audit.api import AuditEventViewSet
from taperapp.routers import Router

from . import views
from .accounts import mfa, tokens
from .accounts.passwords import HardenedPasswordChangeView, ThrottledAuthenticationForm


class PatientViewSet(PatientLogsMixin, patients_api.PatientViewSet):
    """The patient endpoint with its nested /symptom-logs/ route, composed here where the apps
    meet, so that the patients app never imports the symptoms app."""

    required_permissions = {
        **patients_api.PatientViewSet.required_permissions,
        **PatientLogsMixin.log_permissions,
    }


router = Router()
router.register("patients", PatientViewSet, basename="patient")
router.register("medications", MedicationViewSet, basename="medication")
router.register("taper-plans", TaperPlanViewSet, basename="taper-plan")
router.register("symptom-logs", SymptomLogViewSet, basename="symptom-log")
router.register("alerts", AlertViewSet, basename="alert")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

accounts_urls = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", HardenedPasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("mfa/", mfa.verify, name="mfa_verify"),
    path("tokens/", tokens.token_list, name="api_tokens"),
    path("tokens/new/", tokens.token_create, name="api_token_create"),
    path("tokens/<str:token_key>/revoke/", tokens.token_revoke, name="api_token_revoke"),
    path("mfa/setup/", mfa.setup, name="mfa_setup"),
    path("mfa/backup-codes/", mfa.backup_codes, name="mfa_backup_codes"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include(accounts_urls)),
    path("patients/", include("patients.urls")),
    path("", include("patients.plans.urls")),
    path("alerts/", include("symptoms.alerts.urls")),
    path("", include("symptoms.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler403 = "taperapp.views.permission_denied"
handler404 = "taperapp.views.page_not_found"
handler500 = "taperapp.views.server_error"
