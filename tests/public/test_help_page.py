"""The public help page (DESIGN §1): no login, no cookies, the language in the address, small, a
quick exit, and the centres by region without any address."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qorgau.accounts.models import AgencyKind
from qorgau.accounts.services import unit_create
from qorgau.core.models import District, Region
from qorgau.shelters.services import centre_register

pytestmark = pytest.mark.django_db


SECRET = "улица Тайная, 13"


@pytest.fixture
def centre(reference):
    unit = unit_create(
        actor=None, kind=AgencyKind.objects.get(code="crisis_centre"), region=Region.objects.get(iso="KZ-75"),
        district=District.objects.get(kato="751110000"),
        name_ru="Кризисный центр «Тест»", name_kk="«Тест» дағдарыс орталығы", name_en="Test crisis centre",
    )
    return centre_register(actor=None, unit=unit, address=SECRET, phone="+7 727 555 01 02", opening_hours="09:00–18:00")


@pytest.mark.parametrize(("language", "hotline_text"), [
    ("ru", "полиция, если вы в опасности прямо сейчас"),
    ("kk", "полиция, егер сіз дәл қазір қауіпте болсаңыз"),
    ("en", "police, if you are in danger now"),
])
def test_the_page_speaks_the_language_of_its_address_and_sets_no_cookie(centre, language, hotline_text):
    r = Client().get(f"/help/{language}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f'<html lang="{language}">' in body
    assert hotline_text in body
    for number in ("tel:102", "tel:150", "tel:111"):
        assert number in body
    assert not r.cookies  # nothing stored about a visitor
    assert "Set-Cookie" not in r.headers
    assert "no-store" in r.headers["Cache-Control"]
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert len(r.content) < 100_000


def test_a_signed_in_visitor_still_gets_the_language_of_the_address(centre, make_user):
    from tests.conftest import sign_in

    client = sign_in(Client(), make_user(language="kk"))
    body = client.get("/help/en/").content.decode()
    assert '<html lang="en">' in body and "Quick exit" in body


def test_the_centres_are_listed_by_region_without_an_address(centre):
    body = Client().get("/help/en/").content.decode()
    assert "Test crisis centre" in body
    assert "Almaly" in body  # its district, never a street
    # Every region is listed, even one without a centre, with the advice to call.
    assert body.count("<details>") == Region.objects.count()
    assert "No centre is listed for this region yet" in body


def test_the_quick_exit_replaces_the_page_without_inline_script(centre):
    body = Client().get("/help/ru/").content.decode()
    assert 'id="quick-exit"' in body and 'data-testid="quick-exit"' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)  # the content-security policy allows no inline script
    assert "quick-exit.js" in body


def test_an_unknown_language_is_404_and_the_root_redirects(centre):
    client = Client()
    assert client.get("/help/de/").status_code == 404
    r = client.get("/help/")
    assert (r.status_code, r.url) == (302, "/help/ru/")


def test_the_page_reads_the_registry_phone_and_hours_never_the_address(centre, reference):
    # A unit of a centre kind that is not in the registry is not listed; an inactive one neither.
    unit_create(actor=None, kind=AgencyKind.objects.get(code="family_support"), region=Region.objects.get(iso="KZ-75"),
                name_ru="Не в реестре", name_kk="Тізілімде жоқ", name_en="Not in the registry")
    body = Client().get("/help/en/").content.decode()
    assert "Test crisis centre" in body and "+7 727 555 01 02" in body and "09:00–18:00" in body
    assert "Not in the registry" not in body
    for language in ("ru", "kk", "en"):
        page = Client().get(f"/help/{language}/").content.decode()
        assert SECRET not in page and "Тайная" not in page
    centre.unit.is_active = False
    centre.unit.save()
    assert "Test crisis centre" not in Client().get("/help/en/").content.decode()


def test_a_locality_given_in_the_registry_is_shown(centre):
    centre.locality = "Medeu, near the market"
    centre.save()
    assert "Medeu, near the market" in Client().get("/help/en/").content.decode()
