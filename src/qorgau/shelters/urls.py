from django.urls import path

from qorgau.shelters import views

app_name = "shelters"

urlpatterns = [
    path("", views.registry_view, name="registry"),
    path("centres/<int:centre_id>/", views.centre_view, name="centre"),
    path("find/<int:case_id>/", views.find_view, name="find"),
    path("holds/<int:hold_id>/admit/", views.admit_view, name="admit"),
    path("placements/<int:placement_id>/", views.placement_view, name="placement"),
]
