from django.urls import path

from qorgau.monitoring import views, views_operator
from qorgau.monitoring.court_export import export_view

app_name = "monitoring"

urlpatterns = [
    *views_operator.urlpatterns,  # the operator's screen (part E): "", live.json, …
    path("alerts/", views.alerts_view, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_view, name="alert"),
    path("alerts/<int:alert_id>/<str:step>/", views.alert_step_view, name="alert_step"),
    path("devices/", views.devices_view, name="devices"),
    path("devices/<int:device_id>/", views.device_view, name="device"),
    path("devices/<int:device_id>/secret/", views.device_secret_view, name="device_secret"),
    path("cases/<int:case_id>/assign/", views.assign_view, name="assign"),
    path("cases/<int:case_id>/assignments/<int:assignment_id>/end/", views.assignment_end_view, name="assignment_end"),
    path("cases/<int:case_id>/zones/", views.zone_view, name="zone"),
    path("cases/<int:case_id>/zones/<int:zone_id>/end/", views.zone_end_view, name="zone_end"),
    path("cases/<int:case_id>/export/", export_view, name="export"),
]
