"""Routes of case conferences (included by ``protocols.urls`` under ``conferences/``)."""

from django.urls import URLPattern, path

from qorgau.protocols import views_conferences as views

urlpatterns: list[URLPattern] = [
    path("", views.conference_list_view, name="conferences"),
    path("<int:conference_id>/", views.conference_view, name="conference"),
    path("<int:conference_id>/schedule/", views.conference_schedule_view, name="conference_schedule"),
    path("<int:conference_id>/record/", views.conference_record_view, name="conference_record"),
    path("<int:conference_id>/dismiss/", views.conference_dismiss_view, name="conference_dismiss"),
    path("case/<int:case_id>/propose/", views.conference_propose_view, name="conference_propose"),
]
