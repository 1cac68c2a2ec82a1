from django.urls import path

from . import alert_views

app_name = "alerts"
urlpatterns = [
    path("", alert_views.dashboard, name="dashboard"),
    path("rows/", alert_views.dashboard_rows, name="rows"),
]
