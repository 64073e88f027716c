"""Routes for administering protocols: versions and manual routing (included by ``protocols.urls``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
