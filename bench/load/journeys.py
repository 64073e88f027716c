"""What the simulated staff send: the pages of the journeys and a filled-in registration form.

Plain Python (no locust, no Django), so that the tests can replay the journeys with Django's test
client (tests/core/test_bench_load.py) and the locustfile with geventhttpclient.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any
from urllib.parse import urlencode

from qorgau.core import iin as iin_rules

CASE_PAGE = "/cases/{id}/"
CASE_API = "/api/v1/cases/{id}"  # the case detail of the API: the same gate, audit write and decryption, JSON
QUEUE = "/protocols/queue/"
SEARCH = "/cases/search/"
REGISTER = "/cases/register/"
DASHBOARD = "/analytics/"
ME_API = "/api/v1/me"  # the signed-in floor of the API: session, user, second factor, rate limit
EMPTY = "/bench/empty"
HEALTHZ = "/healthz"

LOCAL = dt.timezone(dt.timedelta(hours=5))  # every Kazakh zone has been UTC+5 since 1 March 2024
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LOCATION = re.compile(r"^/cases/(\d+)/$")

GIVEN = ["Айгерим", "Жанар", "Мадина", "Динара", "Гульнар", "Асель", "Алия", "Ольга", "Наталья", "Сауле"]
SURNAMES = ["Ахметова", "Серикова", "Жумабаева", "Касымова", "Иванова", "Нурланова", "Оспанова", "Абенова"]
MEN = ["Ерлан", "Нурлан", "Марат", "Даурен", "Сергей", "Руслан", "Асхат", "Бекзат"]
MEN_SURNAMES = ["Ахметов", "Сериков", "Жумабаев", "Касымов", "Иванов", "Нурланов", "Оспанов", "Абенов"]


def person(rng: random.Random, *, female: bool) -> dict[str, str]:
    born = dt.date(rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28))
    sex = "F" if female else "M"
    iin = iin_rules.make(born, sex, rng.randint(1000, 9999)) or ""
    if female:
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)} {rng.randint(1, 99999):05d}"
    else:
        name = f"{rng.choice(MEN_SURNAMES)} {rng.choice(MEN)} {rng.randint(1, 99999):05d}"
    return {"full_name": name, "iin": iin, "birth_date": born.isoformat(), "sex": sex}


def report_form(entry: dict[str, Any], rng: random.Random, token: str) -> str:
    """A complete registration form for two new people (random names, valid IINs), as a worker fills it in."""
    now = dt.datetime.now(LOCAL)
    victim, offender = person(rng, female=True), person(rng, female=False)
    fields: list[tuple[str, str]] = [
        ("csrfmiddlewaretoken", token),
        ("channel", rng.choice(["police_102", "victim", "relative", "hotline_150", "neighbour"])),
        ("received_at", (now - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")),
        ("occurred_at", (now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")),
        ("region", entry["region"]),
        ("district", entry["district"] or ""),
        ("locality", "мкр. Нагрузочный"),
        ("urban", ""),
        ("forms", "physical"),
        ("forms", "psychological"),
        ("circumstances", "alcohol"),
        ("narrative", "Нагрузочный тест: ударил, угрожал."),
        ("victim0_relationship", "spouse"),
        ("victim0_phone", f"+7 701 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"),
        ("victim0_address", f"ул. Абая {rng.randint(1, 200)}, кв. {rng.randint(1, 120)}"),
        ("offender_phone", ""),
        ("offender_address", ""),
    ]
    fields += [(f"victim0_{k}", v) for k, v in victim.items()]
    fields += [(f"offender_{k}", v) for k, v in offender.items()]
    return urlencode(fields)


def search_query(entry: dict[str, Any], rng: random.Random) -> tuple[str, str] | None:
    """A search a case worker makes in her own caseload: (path, stats name). By name and birth date
    half the time, by IIN or by case number otherwise (whichever the plan has)."""
    kinds = [k for k in ("names", "iins", "numbers") if entry.get(k)]
    if not kinds:
        return None
    roll = rng.random()
    kind = "names" if "names" in kinds and roll < 0.5 else ("iins" if "iins" in kinds and roll < 0.8 else kinds[-1])
    value = rng.choice(entry[kind])
    if kind == "names":
        return f"{SEARCH}?{urlencode({'full_name': value[0], 'birth_date': value[1]})}", "search by name /cases/search/"
    if kind == "iins":
        return f"{SEARCH}?{urlencode({'iin': value})}", "search by IIN /cases/search/"
    return f"{SEARCH}?{urlencode({'number': value})}", "search by number /cases/search/"
