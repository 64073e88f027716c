"""Routes: note (see urls.py): the analytical note's form and its PDF."""

from django.urls import URLPattern, path

from qorgau.analytics import views_note

urlpatterns: list[URLPattern] = [
    path("note/", views_note.note_page, name="note"),
    path("note/pdf/", views_note.note_pdf_page, name="note_pdf"),
]
