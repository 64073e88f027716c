"""Routes of case conferences (included by ``protocols.urls`` under ``conferences/``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
