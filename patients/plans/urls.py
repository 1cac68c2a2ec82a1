from django.urls import path

from patients.plans import views

app_name = "plans"
urlpatterns = [
    path("patients/<uuid:pk>/plans/new/", views.PlanCreateView.as_view(), name="create"),
    path("patients/<uuid:pk>/plans/preview/", views.PlanPreviewView.as_view(), name="preview"),
    path("plans/<uuid:pk>/", views.PlanDetailView.as_view(), name="detail"),
    path("plans/<uuid:pk>/revise/", views.PlanReviseView.as_view(), name="revise"),
    path("plans/<uuid:pk>/schedule/", views.PlanScheduleView.as_view(), name="schedule"),
] + [
    path(
        f"plans/<uuid:pk>/{action}/",
        views.PlanActionView.as_view(),
        {"action": action},
        name=action.replace("-", "_"),
    )
    for action in views.ACTIONS
]
