from django.urls import path

from . import alert_views, views

app_name = "symptoms"
urlpatterns = [
    path("today/", views.worklist_view, name="worklist"),
    path("patients/<uuid:pk>/logs/new/", views.LogCreateView.as_view(), name="log_create"),
    path("patients/<uuid:pk>/timeline/", views.TimelineView.as_view(), name="timeline"),
    path("logs/<uuid:pk>/", views.LogDetailView.as_view(), name="log_detail"),
    path("logs/<uuid:pk>/amend/", views.LogAmendView.as_view(), name="log_amend"),
    path("logs/<uuid:pk>/void/", views.LogVoidView.as_view(), name="log_void"),
    path("alerts/<uuid:pk>/", alert_views.detail, name="alert_detail"),
    path("alerts/<uuid:pk>/hold-taper/", alert_views.hold_taper, name="alert_hold_taper"),
] + [
    path(
        f"alerts/<uuid:pk>/{action}/",
        alert_views.act,
        {"action": action},
        name=f"alert_{action}",
    )
    for action in alert_views.ACTION_WORDS
]
