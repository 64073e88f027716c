"""The public help page (DESIGN §1): no login, no cookies, the language in the address, a quick exit.

Nothing is stored about a visitor: the page reads no session and writes none, sets no cookie, and
logs nothing but the web server's access line. It is served in the language of its address so
that no cookie is needed to remember one.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from qorgau.core.languages import LANGUAGE_NAMES
from qorgau.public.selectors import public_centres

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The page the quick exit opens instead (replacing this page in the browser's history).
QUICK_EXIT_URL = "https://www.google.com/search?q=weather"


@require_safe
def help_root(request: HttpRequest) -> HttpResponse:
    return redirect("public:help", language=settings.LANGUAGE_CODE)


@require_safe
@cache_control(no_store=True)
def help_view(request: HttpRequest, language: str) -> HttpResponse:
    if language not in LANGUAGES:
        raise Http404()
    with translation.override(language):
        response = render(request, "public/help.html", {
            "language": language,
            "languages": list(LANGUAGE_NAMES.items()),
            "regions": public_centres(),
            "quick_exit_url": QUICK_EXIT_URL,
        })
    response["Referrer-Policy"] = "no-referrer"
    return response
