from django.urls import path

from qorgau.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.requests_view, name="requests"),
    path("<int:request_id>/", views.request_view, name="request"),
    path("<int:request_id>/find/", views.find_view, name="find"),
    path("<int:request_id>/subject/", views.attach_view, name="attach"),
    path("<int:request_id>/export/", views.export_view, name="export"),
    path("<int:request_id>/correct/<int:person_id>/", views.correct_view, name="correct"),
    path("exports/<int:export_id>/<str:fmt>/", views.download_view, name="download"),
]
