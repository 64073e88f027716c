from django.urls import path

from qorgau.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.records_view, name="records"),
    path("new/", views.new_view, name="new"),
    path("<int:record_id>/", views.record_view, name="record"),
    path("<int:record_id>/share/", views.share_view, name="share"),
    path("<int:record_id>/withdraw/", views.withdraw_view, name="withdraw"),
    path("<int:record_id>/admit/", views.admit_view, name="admit"),
    path("shared/", views.shared_list_view, name="shared_list"),
    path("shared/<int:share_id>/", views.shared_view, name="shared_record"),
]
