from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    path("", views.PatientListView.as_view(), name="list"),
    path("new/", views.PatientFormView.as_view(), name="create"),
    path("<uuid:pk>/", views.PatientDetailView.as_view(), name="detail"),
    path("<uuid:pk>/edit/", views.PatientFormView.as_view(), name="edit"),
    path("<uuid:pk>/history/", views.PatientHistoryView.as_view(), name="history"),
    path("<uuid:pk>/discharge/", views.PatientDischargeView.as_view(), name="discharge"),
]
