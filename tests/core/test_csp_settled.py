"""The CSP header built once (core.csp): the same header django-csp builds, following the settings,
and django-csp's own handling wherever a response has a policy or a nonce of its own."""

from __future__ import annotations

import pytest
from csp.constants import NONCE
from csp.decorators import csp_update
from csp.exceptions import CSPNonceError
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from qorgau.core.csp import SettledCSPMiddleware


def directives(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: p for p in parts}


def served(view=None, *, nonce: bool = False, path: str = "/somewhere/") -> HttpResponse:
    request = RequestFactory().get(path)
    middleware = SettledCSPMiddleware(view or (lambda r: HttpResponse("ok")))
    if nonce:
        middleware.process_request(request)
        str(request.csp_nonce)  # a template that asks for the nonce
        return middleware.process_response(request, HttpResponse("ok"))
    return middleware(request)


def test_the_header_is_django_csps_own():
    response = served()
    assert directives(response["Content-Security-Policy"]) == directives(build_policy())
    assert "'none'" in directives(response["Content-Security-Policy"])["frame-ancestors"]


def test_a_changed_policy_changes_the_header():
    served()  # the first policy built and kept
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert served()["Content-Security-Policy"] == "default-src 'none'"
    assert "script-src 'self'" in served()["Content-Security-Policy"]


def test_report_only_and_excluded_prefixes_are_honoured():
    policy = {"EXCLUDE_URL_PREFIXES": ["/skip/"], "DIRECTIVES": {"default-src": ["'self'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY={"DIRECTIVES": {"img-src": ["'self'"]}}):
        kept = served()
        skipped = served(path="/skip/this/")
        report_only = build_policy(report_only=True)
    assert kept["Content-Security-Policy"] == "default-src 'self'"
    assert "img-src 'self'" in report_only
    assert kept["Content-Security-Policy-Report-Only"] == report_only
    assert "Content-Security-Policy" not in skipped
    assert skipped["Content-Security-Policy-Report-Only"] == report_only


def test_a_response_with_its_own_policy_or_a_nonce_is_built_by_django_csp():
    @csp_update({"img-src": ["https://tiles.example"]})
    def view(request):
        return HttpResponse("ok")

    own = served(view)
    assert "https://tiles.example" in directives(own["Content-Security-Policy"])["img-src"]
    assert "https://tiles.example" not in served()["Content-Security-Policy"]  # the kept header is untouched
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": ["'self'", NONCE]}}):
        with_nonce = served(nonce=True)
    assert "'nonce-" in directives(with_nonce["Content-Security-Policy"])["script-src"]


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    request = RequestFactory().get("/")
    SettledCSPMiddleware(lambda r: HttpResponse("ok"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
