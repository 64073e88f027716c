from django.urls import path

from qorgau.training import views

app_name = "training"

urlpatterns = [
    path("", views.unit_view, name="unit"),
    path("mine/", views.mine_view, name="mine"),
    path("coverage/", views.coverage_view, name="coverage"),
]
