from django.urls import path

from qorgau.public import views

app_name = "public"

urlpatterns = [
    path("", views.help_root, name="help_root"),
    path("<str:language>/", views.help_view, name="help"),
]
