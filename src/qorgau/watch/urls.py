from django.urls import path

from qorgau.watch import views

app_name = "watch"

urlpatterns = [
    path("", views.alerts_view, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_view, name="alert"),
    path("review/", views.review_view, name="review"),
    path("review/export.csv", views.review_export_view, name="review_export"),
]
