"""Error pages and the health check: HTML for people, JSON for the API, never a stack trace."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.test import Client, RequestFactory
from django.utils import translation

from qorgau.core import views
from qorgau.core.errors import Conflict, NotFound
from qorgau.core.middleware import error_response

pytestmark = pytest.mark.django_db

LEAKS = ("Traceback", 'File "', "site-packages", "Resolver404", "urlpatterns")


def _assert_html_error(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "<html" in body and "</html>" in body
    assert re.search(rf"<title>[^<]*\b{status}\b", body), "the title names the status"
    for leak in LEAKS:
        assert leak not in body
    return body


def _assert_json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["code"] == str(status)
    assert isinstance(data["detail"], str) and data["detail"]
    for leak in LEAKS:
        assert leak not in response.content.decode()
    return data


@pytest.mark.parametrize("path", ["/no-such-page/", "/no-such-area/999999/", "/static-nope"])
def test_unknown_page_is_an_html_404(path):
    _assert_html_error(Client().get(path), 404)


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/nope/1", "/api/v1/"])
def test_unknown_api_route_is_a_json_404(path):
    data = _assert_json_error(Client().get(path), 404)
    assert set(data) == {"code", "detail"}


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_404_in_each_language_by_header_or_cookie(language):
    by_header = Client().get("/no-such-page/", headers={"accept-language": language})
    _assert_html_error(by_header, 404)
    cookie_client = Client()
    cookie_client.cookies["django_language"] = language
    _assert_html_error(cookie_client.get("/no-such-page/"), 404)
    api = cookie_client.get("/api/v1/nope")
    _assert_json_error(api, 404)


def test_signed_in_user_gets_the_same_404(signed_in):
    client = signed_in()
    _assert_html_error(client.get("/no-such-page/"), 404)
    _assert_json_error(client.get("/api/v1/nope"), 404)


def _request(path: str):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


@pytest.mark.parametrize(
    ("handler", "status"),
    [(views.bad_request, 400), (views.permission_denied, 403), (views.page_not_found, 404), (views.csrf_failure, 403)],
)
def test_error_handlers_answer_html_or_json_by_path(handler, status):
    _assert_html_error(handler(_request("/somewhere/"), None), status)
    _assert_json_error(handler(_request("/api/v1/somewhere"), None), status)


def test_server_error_handler_shows_no_details():
    _assert_html_error(views.server_error(_request("/somewhere/")), 500)
    _assert_json_error(views.server_error(_request("/api/v1/somewhere")), 500)


def test_domain_errors_become_pages_or_json():
    page = error_response(_request("/cases/1/"), Conflict())
    _assert_html_error(page, 409)
    data = json.loads(error_response(_request("/api/v1/cases/1"), NotFound()).content)
    assert data["code"] == "not_found" and data["fields"] == {}
    request = RequestFactory().get("/cases/1/", headers={"accept": "application/json"})
    request.user = AnonymousUser()
    assert error_response(request, NotFound())["Content-Type"] == "application/json"


def test_healthz():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("connection already closed")])
def test_a_database_that_cannot_be_reached_is_a_503_to_retry(error):
    try:
        raise error
    except type(error):  # Django calls the handler inside its except block
        with translation.override("en"):
            page = views.server_error(_request("/cases/"))
            api = views.server_error(_request("/api/v1/reports"))
    _assert_html_error(page, 503)
    _assert_json_error(api, 503)
    assert page["Retry-After"] == api["Retry-After"] == "5"
    assert "server closed" not in page.content.decode() and "already closed" not in api.content.decode()
    assert json.loads(api.content)["detail"].startswith("The database cannot be reached right now.")


def test_any_other_error_stays_a_500():
    try:
        raise ValueError("a bug")
    except ValueError:
        response = views.server_error(_request("/api/v1/reports"))
    _assert_json_error(response, 500)
    assert not response.has_header("Retry-After")
