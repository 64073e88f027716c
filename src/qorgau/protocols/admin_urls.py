"""Routes for administering protocols: versions (included by ``protocols.urls`` under ``admin/``).
Manual routing of unrouted tasks lives on the unrouted page (``protocols:unrouted``)."""

from django.urls import URLPattern, path

from qorgau.protocols import views_admin

urlpatterns: list[URLPattern] = [
    path("", views_admin.versions_view, name="admin_versions"),
    path("versions/<int:version_id>/", views_admin.version_view, name="admin_version"),
]
