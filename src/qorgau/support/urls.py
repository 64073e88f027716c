from django.urls import path

from qorgau.support import views

app_name = "support"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("case/<int:case_id>/", views.case_view, name="case"),
    path("referrals/<int:referral_id>/", views.referral_view, name="referral"),
    path("programmes/", views.programmes_view, name="programmes"),
    path("programmes/new/", views.programme_new_view, name="programme_new"),
    path("programmes/<int:programme_id>/", views.programme_view, name="programme"),
    path("figures/", views.figures_view, name="figures"),
]
