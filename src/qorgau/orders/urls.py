from django.urls import path

from qorgau.orders import views, views_court

app_name = "orders"

urlpatterns = [
    path("docket/", views_court.docket_view, name="docket"),
    path("case/<int:case_id>/new/", views.order_new_view, name="new"),
    path("case/<int:case_id>/court/", views_court.court_decision_view, name="court"),
    path("hearings/<int:hearing_id>/", views_court.hearing_view, name="hearing"),
    path("criminal-cases/<int:record_id>/", views_court.criminal_case_view, name="criminal-case"),
    path("<int:order_id>/", views.order_view, name="detail"),
    path("<int:order_id>/print/", views.order_print_view, name="print"),
]
