"""Routes: the national strategy (see urls.py)."""

from django.urls import URLPattern, path

from qorgau.analytics import views_strategy as v

urlpatterns: list[URLPattern] = [
    path("strategy/", v.strategy_view, name="strategy"),
    path("strategy/measures/new/", v.measure_new_view, name="measure_new"),
    path("strategy/measures/<int:pk>/", v.measure_view, name="measure"),
    path("strategy/measures/<int:pk>/edit/", v.measure_edit_view, name="measure_edit"),
    path("strategy/measures/<int:pk>/financing/new/", v.financing_new_view, name="financing_new"),
    path("strategy/financing/<int:pk>/edit/", v.financing_edit_view, name="financing_edit"),
    path("strategy/campaigns/new/", v.campaign_new_view, name="campaign_new"),
    path("strategy/campaigns/<int:pk>/edit/", v.campaign_edit_view, name="campaign_edit"),
    path("strategy/grants/new/", v.grant_new_view, name="grant_new"),
    path("strategy/grants/<int:pk>/edit/", v.grant_edit_view, name="grant_edit"),
]
