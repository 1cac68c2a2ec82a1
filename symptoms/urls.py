from django.urls import path

from symptoms import views

app_name = "symptoms"
urlpatterns = [
    path("today/", views.worklist_view, name="worklist"),
    path("patients/<uuid:pk>/logs/new/", views.LogCreateView.as_view(), name="log_create"),
    path("patients/<uuid:pk>/timeline/", views.TimelineView.as_view(), name="timeline"),
    path("logs/<uuid:pk>/", views.LogDetailView.as_view(), name="log_detail"),
    path("logs/<uuid:pk>/amend/", views.LogAmendView.as_view(), name="log_amend"),
    path("logs/<uuid:pk>/void/", views.LogVoidView.as_view(), name="log_void"),
]
