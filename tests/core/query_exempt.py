"""GET routes without a query-count test, each with the reason (tests/core/test_query_counts.py).

A route belongs here only when it lists nothing that grows (a form, a static page, a redirect, a
single record with no related rows, an aggregate over a fixed set such as the 20 regions), or when
its test is still to be written: those say ``TODO`` and are reported in docs/query-discipline.md.
"""

from __future__ import annotations

NO_PAGE = "no page on GET: a redirect, 404, 405 or a sign-in step"
FORM = "a form with no listed rows"
REFERENCE = "reference data of fixed size (regions, districts, agency kinds)"
STATIC = "a static page"
ONE_ROW = "one record and no related rows"
AGGREGATE = "aggregates over a fixed set (regions, months, indicators), tested in the analytics tests"
TODO = "TODO (issue 10): query-count test still to be written"

EXEMPT: dict[str, str] = {
    "login/": NO_PAGE,
    "login/verify/": NO_PAGE,
    "login/enrol/": NO_PAGE,
    "logout/": NO_PAGE,
    "logout/everywhere/": NO_PAGE,
    "healthz": STATIC,
    "api/v1/": NO_PAGE,
    "api/v1/openapi.json": STATIC,
    "api/v1/docs": STATIC,
    "api/v1/me": ONE_ROW,
    "api/v1/machine/whoami": NO_PAGE,
    "api/v1/reports": NO_PAGE,
    "api/v1/reference/regions": REFERENCE,
    "api/v1/reference/regions/<iso>/districts": REFERENCE,
    "api/v1/cases/<case_id>/safe-contact": ONE_ROW,
    "cases/register/": FORM,
    "privacy/<int:request_id>/find/": NO_PAGE,
    "privacy/<int:request_id>/correct/<int:person_id>/": ONE_ROW,
    "privacy/exports/<int:export_id>/<str:fmt>/": "a one-time download (a second GET is 410); the dossier's queries are measured in tests/privacy",
    "watch/alerts/<int:alert_id>/": ONE_ROW,
    "cases/districts/": REFERENCE,
    "cases/import/": FORM,
    "cases/<int:case_id>/state/": NO_PAGE,
    "cases/<int:case_id>/units/": NO_PAGE,
    "cases/<int:case_id>/attachments/": NO_PAGE,
    "cases/<int:case_id>/break-glass/": FORM,
    "cases/attachments/<int:attachment_id>/": "one file's bytes",
    "notifications/settings/": FORM,
    "help/": STATIC,
    "help/<str:language>/": STATIC,
    "risk/case/<int:case_id>/assess/": FORM,
    "risk/assessments/<int:assessment_id>/level/": FORM,
    "orders/case/<int:case_id>/new/": FORM,
    "shelters/centres/new/": FORM,
    "shelters/centres/<int:centre_id>/edit/": FORM,
    "support/programmes/new/": FORM,
    "intake/new/": FORM,
    "programmes/enrol/<int:case_id>/": FORM,
    "programmes/enrolments/<int:enrolment_id>/outcome/": FORM,
    "monitoring/cases/<int:case_id>/assign/": FORM,
    "monitoring/cases/<int:case_id>/assignments/<int:assignment_id>/end/": NO_PAGE,
    "monitoring/cases/<int:case_id>/zones/<int:zone_id>/end/": NO_PAGE,
    "monitoring/alerts/<int:alert_id>/<str:step>/": NO_PAGE,
    "monitoring/alerts/<int:alert_id>/step/": NO_PAGE,
    "monitoring/devices/<int:device_id>/secret/": NO_PAGE,
    "monitoring/basemap.json": REFERENCE,
    "protocols/consents/<int:consent_id>/withdraw/": FORM,
    "protocols/conferences/<int:conference_id>/schedule/": FORM,
    "protocols/conferences/case/<int:case_id>/propose/": FORM,
    "analytics/": AGGREGATE,
    "analytics/map/": AGGREGATE,
    "analytics/export/<str:fmt>/": AGGREGATE,
    "api/v1/analytics/indicators": AGGREGATE,
    "api/v1/analytics/view": AGGREGATE,
    "analytics/scenarios/": AGGREGATE,
    "analytics/note/": AGGREGATE,
    "analytics/note/pdf/": AGGREGATE,
    "analytics/strategy/measures/new/": FORM,
    "analytics/strategy/measures/<int:pk>/edit/": FORM,
    "analytics/strategy/measures/<int:pk>/financing/new/": FORM,
    "analytics/strategy/financing/<int:pk>/edit/": FORM,
    "analytics/strategy/campaigns/new/": FORM,
    "analytics/strategy/campaigns/<int:pk>/edit/": FORM,
    "analytics/strategy/grants/new/": FORM,
    "analytics/strategy/grants/<int:pk>/edit/": FORM,
    }
