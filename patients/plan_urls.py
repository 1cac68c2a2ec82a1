from django.urls import path

from . import plan_views

app_name = "plans"
urlpatterns = [
    path("<uuid:pk>/", plan_views.PlanDetailView.as_view(), name="detail"),
    path("<uuid:pk>/revise/", plan_views.PlanReviseView.as_view(), name="revise"),
    path("<uuid:pk>/schedule/", plan_views.PlanScheduleView.as_view(), name="schedule"),
] + [
    path(
        f"<uuid:pk>/{action}/",
        plan_views.PlanActionView.as_view(),
        {"action": action},
        name=action.replace("-", "_"),
    )
    for action in plan_views.ACTIONS
]
