"""Routes of the analytics area: dashboards and exports, the strategy, the scenarios and the analytical note."""

from qorgau.analytics import urls_dashboard, urls_note, urls_scenarios, urls_strategy

app_name = "analytics"
urlpatterns = [
    *urls_dashboard.urlpatterns,
    *urls_strategy.urlpatterns,
    *urls_scenarios.urlpatterns,
    *urls_note.urlpatterns,
]
