from django.urls import include, path

from qorgau.protocols import views

app_name = "protocols"

urlpatterns = [
    path("queue/", views.queue_view, name="queue"),
    path("tasks/<int:task_id>/", views.task_view, name="task"),
    path("case/<int:case_id>/", views.case_tasks_view, name="case_tasks"),
    path("referrals/<int:task_id>/", views.referral_view, name="referral"),
    path("consents/<int:consent_id>/withdraw/", views.consent_withdraw_view, name="consent_withdraw"),
    path("unrouted/", views.unrouted_view, name="unrouted"),
    path("conferences/", include("qorgau.protocols.conference_urls")),
    path("admin/", include("qorgau.protocols.admin_urls")),
]
