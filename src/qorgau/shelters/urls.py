from django.urls import path

from qorgau.shelters import views, views_centres, views_coverage

app_name = "shelters"

urlpatterns = [
    path("", views.registry_view, name="registry"),
    path("coverage/", views_coverage.coverage_view, name="coverage"),
    path("centres/new/", views_centres.centre_new_view, name="centre_new"),
    path("centres/<int:centre_id>/", views.centre_view, name="centre"),
    path("centres/<int:centre_id>/edit/", views_centres.centre_edit_view, name="centre_edit"),
    path("find/<int:case_id>/", views.find_view, name="find"),
    path("holds/<int:hold_id>/admit/", views.admit_view, name="admit"),
    path("placements/<int:placement_id>/", views.placement_view, name="placement"),
]
