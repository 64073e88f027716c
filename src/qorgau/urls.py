import os

from django.conf import settings
from django.urls import include, path

from qorgau.api import api
from qorgau.core import views as core_views

# Django tries these in order, descending into every include whose prefix matches: the API and the
# probe come first, and the sign-in pages (an include under the empty prefix, which every path enters)
# last. No two entries share a path, so the order changes only how many patterns a request tries
# (a tenth of a millisecond on an API request when the empty prefix came first).
urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("cases/", include("qorgau.cases.urls")),
    path("risk/", include("qorgau.risk.urls")),
    path("orders/", include("qorgau.orders.urls")),
    path("protocols/", include("qorgau.protocols.urls")),
    path("shelters/", include("qorgau.shelters.urls")),
    path("training/", include("qorgau.training.urls")),
    path("help/", include("qorgau.public.urls")),
    path("support/", include("qorgau.support.urls")),
    path("programmes/", include("qorgau.programmes.urls")),
    path("intake/", include("qorgau.intake.urls")),
    path("monitoring/", include("qorgau.monitoring.urls")),
    path("analytics/", include("qorgau.analytics.urls")),
    path("watch/", include("qorgau.watch.urls")),
    path("privacy/", include("qorgau.privacy.urls")),
    path("", include("qorgau.accounts.urls")),
]
# The load bench's empty endpoint (bench/load); never in production.
if os.environ.get("QORGAU_BENCH_ENDPOINTS") == "1" and not settings.PRODUCTION:
    urlpatterns.append(path("", include("qorgau.core.bench_urls")))

handler400 = "qorgau.core.views.bad_request"
handler403 = "qorgau.core.views.permission_denied"
handler404 = "qorgau.core.views.page_not_found"
handler500 = "qorgau.core.views.server_error"
