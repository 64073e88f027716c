from django.urls import path

from qorgau.cases import views, views_attachments, views_identity, views_import

app_name = "cases"

urlpatterns = [
    path("", views.caseload_view, name="list"),
    path("register/", views.register_view, name="register"),
    path("districts/", views.districts_view, name="districts"),
    path("search/", views.search_view, name="search"),
    path("import/", views_import.import_view, name="import"),
    path("review/", views_identity.review_list_view, name="review"),
    path("review/<int:review_id>/", views_identity.review_view, name="review_item"),
    path("links/", views_identity.links_view, name="links"),
    path("links/<int:link_id>/undo/", views_identity.link_undo_view, name="link_undo"),
    path("<int:case_id>/", views.case_view, name="detail"),
    path("<int:case_id>/state/", views.case_state_view, name="state"),
    path("<int:case_id>/correct/", views.case_correct_view, name="correct"),
    path("<int:case_id>/safe-contact/", views.case_safe_contact_view, name="safe_contact"),
    path("<int:case_id>/break-glass/", views.break_glass_view, name="break_glass"),
    path("<int:case_id>/units/", views.case_add_unit_view, name="add_unit"),
    path("<int:case_id>/attachments/", views_attachments.attachment_upload_view, name="attachment_upload"),
    path("attachments/<int:attachment_id>/", views_attachments.attachment_open_view, name="attachment_open"),
]
