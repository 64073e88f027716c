from django.urls import path

from qorgau.programmes import views

app_name = "programmes"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("enrolments/<int:enrolment_id>/", views.enrolment_view, name="enrolment"),
    path("enrolments/<int:enrolment_id>/sessions/", views.session_view, name="session"),
    path("enrolments/<int:enrolment_id>/outcome/", views.outcome_view, name="outcome"),
    path("enrol/<int:case_id>/", views.enrol_view, name="enrol"),
    path("catalogue/", views.catalogue_view, name="catalogue"),
    path("catalogue/<int:programme_id>/", views.programme_view, name="programme"),
]
