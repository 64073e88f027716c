from django.urls import path

from qorgau.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.operator_screen, name="operator"),
]
