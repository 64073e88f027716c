from django.urls import path

from qorgau.risk import views, views_safety_plan, views_validation

app_name = "risk"

urlpatterns = [
    path("due/", views.due_view, name="due"),
    path("case/<int:case_id>/assess/", views.assessment_new_view, name="assess"),
    path("case/<int:case_id>/measures/", views.measure_view, name="measures"),
    path("assessments/<int:assessment_id>/", views.assessment_view, name="assessment"),
    path("assessments/<int:assessment_id>/level/", views.assessment_level_view, name="level"),
    path("instruments/", views.instruments_view, name="instruments"),
    path("instruments/<int:version_id>/", views.instrument_version_view, name="instrument_version"),
    path("validation/", views_validation.validation_view, name="validation"),
    path("validation/draft/", views_validation.validation_draft_view, name="validation_draft"),
    path("case/<int:case_id>/safety-plan/", views_safety_plan.safety_plan_view, name="safety_plan"),
    path("case/<int:case_id>/safety-plan/print/", views_safety_plan.safety_plan_print_view, name="safety_plan_print"),
]
