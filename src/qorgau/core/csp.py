"""django-csp's middleware with the policy header built once, not on every response.

django-csp builds the header from the settings on every response: it deep-copies the policy
(``dataclasses.asdict``) and joins its directives, about a tenth of a millisecond, the cost of a
database statement, on a request that does nothing else. Qorgau's policy is the same for every
response that neither carries a policy of its own (django-csp's decorators) nor asked for a nonce, so
the header is built once per policy object in the settings (``override_settings`` gives a new object,
so a test that changes the policy gets a new header) and every other response goes through django-csp
unchanged.
"""

from __future__ import annotations

import http.client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# What django-csp's decorators set on a response that has a policy of its own.
_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")

_built: list[Any] = [None, None, "", ""]  # the policy objects the headers were built from, and the headers


def _headers() -> tuple[str, str]:
    """The header and the report-only header of the policy in the settings now."""
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
    report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
    built = _built
    if built[0] is not policy or built[1] is not report_only:
        built = [policy, report_only, build_policy(), build_policy(report_only=True)]
        _built[:] = built
    return built[2], built[3]


def _excluded(request: HttpRequest, policy: Any) -> bool:
    prefixes = (policy or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
    return request.path_info.startswith(tuple(prefixes))


class SettledCSPMiddleware(CSPMiddleware):
    """As django-csp's, with the settings' policy built once (see the module's note)."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(getattr(response, a, None) is not None for a in _OWN_POLICY):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND):
            return response
        csp, csp_ro = _headers()
        if csp and HEADER not in response and not getattr(response, "_csp_exempt", False) \
                and not _excluded(request, getattr(settings, "CONTENT_SECURITY_POLICY", None)):
            response[HEADER] = csp
        if csp_ro and HEADER_REPORT_ONLY not in response and not getattr(response, "_csp_exempt_ro", False) \
                and not _excluded(request, getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)):
            response[HEADER_REPORT_ONLY] = csp_ro
        # As django-csp: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
