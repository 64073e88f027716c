"""Routes: scenarios (see urls.py)."""

from django.urls import URLPattern, path

from qorgau.analytics import views_scenarios

urlpatterns: list[URLPattern] = [
    path("scenarios/", views_scenarios.scenarios_view, name="scenarios"),
]
