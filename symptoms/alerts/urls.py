from django.urls import path

from symptoms.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rows/", views.dashboard_rows, name="rows"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/hold-taper/", views.hold_taper, name="hold_taper"),
] + [
    path(f"<uuid:pk>/{action}/", views.act, {"action": action}, name=action)
    for action in views.ACTION_WORDS
]
