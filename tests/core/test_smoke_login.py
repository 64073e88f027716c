import pytest
from django.test import Client

from tests.conftest import PASSWORD, current_code


@pytest.mark.django_db
def test_password_then_totp_signs_in_and_home_shows_role(make_user):
    user = make_user(username="aigerim")
    client = Client()
    r = client.post("/login/", {"username": "aigerim", "password": PASSWORD})
    assert r.status_code == 302 and r.url == "/login/verify/"
    r = client.post("/login/verify/", {"code": current_code(user)})
    assert r.status_code == 302 and r.url == "/"
    r = client.get("/")
    assert r.status_code == 200
    assert "Инспектор полиции" in r.content.decode() or "Police inspector" in r.content.decode()
