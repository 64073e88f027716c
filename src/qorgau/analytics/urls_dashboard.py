"""Routes: dashboard (see urls.py): the dashboard, the map and the exports of a dashboard view."""

from django.urls import URLPattern, path

from qorgau.analytics import views_dashboard

urlpatterns: list[URLPattern] = [
    path("", views_dashboard.dashboard_page, name="dashboard"),
    path("map/", views_dashboard.map_page, name="map"),
    path("export/<str:fmt>/", views_dashboard.export_page, name="export"),
]
