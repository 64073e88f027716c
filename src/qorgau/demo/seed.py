"""Demo agencies and one demo user per role (DESIGN §1), with known passwords and TOTP secrets.

Demo mode only: the passwords are printed and the TOTP secrets are derived from the user name, so a
tester can add them to an authenticator app or ask ``qorgau totp USER`` for the current code.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create, user_create
from qorgau.core import iin as iin_rules
from qorgau.core.models import District, Region

DEMO_PASSWORD = "Qorgau-demo-2026"

# (key, kind, region, district kato or None, ru, kk, en)
UNITS = [
    (
        "police_almaly",
        "police",
        "KZ-75",
        "751110000",
        "УП Алмалинского района г. Алматы",
        "Алматы қ. Алмалы ауданының ПБ",
        "Police department of Almaly district, Almaty",
    ),
    (
        "fsc_almaty",
        "family_support",
        "KZ-75",
        "751110000",
        "Центр поддержки семьи г. Алматы",
        "Алматы қ. отбасын қолдау орталығы",
        "Family support centre, Almaty",
    ),
    (
        "crisis_almaty",
        "crisis_centre",
        "KZ-75",
        None,
        "Кризисный центр «Шапағат»",
        "«Шапағат» дағдарыс орталығы",
        "Shapagat crisis centre",
    ),
    (
        "clinic_almaly",
        "health",
        "KZ-75",
        "751110000",
        "Городская поликлиника № 4",
        "№ 4 қалалық емхана",
        "City clinic No. 4",
    ),
    (
        "school_almaly",
        "school",
        "KZ-75",
        "751110000",
        "Школа-гимназия № 25",
        "№ 25 мектеп-гимназия",
        "School-gymnasium No. 25",
    ),
    (
        "court_almaly",
        "court",
        "KZ-75",
        "751110000",
        "Специализированный суд по административным правонарушениям г. Алматы",
        "Алматы қ. әкімшілік құқық бұзушылықтар жөніндегі мамандандырылған соты",
        "Specialised administrative court, Almaty",
    ),
    (
        "probation_almaty",
        "probation",
        "KZ-75",
        None,
        "Служба пробации г. Алматы",
        "Алматы қ. пробация қызметі",
        "Probation service, Almaty",
    ),
    (
        "programme_almaty",
        "correction_programme",
        "KZ-75",
        None,
        "Программа «Жаңа жол» для авторов насилия",
        "Зорлық-зомбылық жасаушыларға арналған «Жаңа жол» бағдарламасы",
        "New Path programme for perpetrators",
    ),
    (
        "monitoring_national",
        "monitoring_centre",
        "KZ-71",
        None,
        "Национальный центр мониторинга",
        "Ұлттық мониторинг орталығы",
        "National monitoring centre",
    ),
    (
        "ministry",
        "ministry",
        "KZ-71",
        None,
        "Министерство внутренних дел, аналитический отдел",
        "Ішкі істер министрлігі, талдау бөлімі",
        "Ministry of Internal Affairs, analysis department",
    ),
    (
        "dq_almaty",
        "data_quality",
        "KZ-75",
        None,
        "Отдел качества данных ДП г. Алматы",
        "Алматы қ. ПД деректер сапасы бөлімі",
        "Data-quality unit, Almaty police department",
    ),
    (
        "akimat_almaty",
        "social_protection",
        "KZ-75",
        None,
        "Управление занятости и социальных программ г. Алматы",
        "Алматы қ. жұмыспен қамту және әлеуметтік бағдарламалар басқармасы",
        "Employment and social programmes office, Almaty",
    ),
    (
        "oversight",
        "oversight",
        "KZ-71",
        None,
        "Служба собственной безопасности",
        "Өз қауіпсіздігі қызметі",
        "Internal security service",
    ),
    (
        "system",
        "system",
        "KZ-71",
        None,
        "Администрирование системы Qorgau",
        "Qorgau жүйесін әкімшілендіру",
        "Qorgau system administration",
    ),
]

# (username, role, unit key, full name)
USERS = [
    ("inspector", Role.POLICE_INSPECTOR, "police_almaly", "Айгерим Сапарова"),
    ("supervisor", Role.POLICE_SUPERVISOR, "police_almaly", "Нурлан Бекмуханов"),
    ("social", Role.SOCIAL_WORKER, "fsc_almaty", "Жанар Омарова"),
    ("shelter", Role.SHELTER_WORKER, "crisis_almaty", "Гульмира Ахметова"),
    ("doctor", Role.HEALTH_WORKER, "clinic_almaly", "Ержан Калиев"),
    ("teacher", Role.SCHOOL_WORKER, "school_almaly", "Салтанат Нурпеисова"),
    ("judge", Role.JUDGE, "court_almaly", "Марат Жумабаев"),
    ("clerk", Role.COURT_CLERK, "court_almaly", "Динара Исаева"),
    ("probation", Role.PROBATION_OFFICER, "probation_almaty", "Асхат Тулегенов"),
    ("programme", Role.PROGRAMME_PROVIDER, "programme_almaty", "Ольга Ким"),
    ("operator", Role.MONITORING_OPERATOR, "monitoring_national", "Дархан Сейтказы"),
    ("analyst", Role.ANALYST, "ministry", "Камила Абдрахманова"),
    ("reviewer", Role.DQ_REVIEWER, "dq_almaty", "Тимур Абенов"),
    ("coordinator", Role.PLACEMENT_COORDINATOR, "akimat_almaty", "Айнур Смагулова"),
    ("conference", Role.CONFERENCE_COORDINATOR, "fsc_almaty", "Бахыт Есенова"),
    ("oversight", Role.OVERSIGHT, "oversight", "Серик Мусин"),
    ("privacy", Role.PRIVACY_OFFICER, "ministry", "Алия Жаксылыкова"),
    ("admin", Role.ADMINISTRATOR, "system", "Администратор Qorgau"),
]


@dataclass
class DemoUser:
    username: str
    role: str
    unit: str
    totp_secret: str


def totp_key_hex(username: str) -> str:
    """A fixed 20-byte TOTP key per demo user (demo only)."""
    return hashlib.sha256(f"qorgau-demo-totp:{username}".encode()).hexdigest()[:40]


def _synthetic_iin(n: int) -> str:
    import datetime as dt

    serial = 1000 + n
    while True:
        value = iin_rules.make(dt.date(1985, 1 + n % 12, 1 + n % 27), "F" if n % 2 else "M", serial)
        if value:
            return value
        serial += 1


def _totp_device(user: User) -> str:
    key = totp_key_hex(user.username)
    TOTPDevice.objects.update_or_create(user=user, name="Qorgau demo", defaults={"key": key, "confirmed": True})
    return base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")


@transaction.atomic
def seed_demo() -> list[DemoUser]:
    units: dict[str, Unit] = {}
    for key, kind, region, district, ru, kk, en in UNITS:
        existing = Unit.objects.filter(kind_id=kind, region_id=region, name_ru=ru).first()
        units[key] = existing or unit_create(
            actor=None,
            kind=AgencyKind.objects.get(code=kind),
            region=Region.objects.get(iso=region),
            district=District.objects.get(kato=district) if district else None,
            name_ru=ru,
            name_kk=kk,
            name_en=en,
        )
    out = []
    for n, (username, role, unit_key, full_name) in enumerate(USERS):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                unit=units[unit_key],
                full_name=full_name,
                iin=_synthetic_iin(n),
            )
        secret = _totp_device(user)
        out.append(DemoUser(username, str(Role(role).label), units[unit_key].name, secret))
    return out


# The regional police departments that hold the synthetic national cases (demo.synthetic), one per
# region: (region, ru, kk, en). The demo's own Almaly police keeps a handful of Almaty cases.
REGIONAL_POLICE = [
    ("KZ-10", "Департамент полиции области Абай", "Абай облысының полиция департаменті", "Police department of Abai region"),
    ("KZ-11", "Департамент полиции Акмолинской области", "Ақмола облысының полиция департаменті", "Police department of Akmola region"),
    ("KZ-15", "Департамент полиции Актюбинской области", "Ақтөбе облысының полиция департаменті", "Police department of Aktobe region"),
    ("KZ-19", "Департамент полиции Алматинской области", "Алматы облысының полиция департаменті", "Police department of Almaty region"),
    ("KZ-23", "Департамент полиции Атырауской области", "Атырау облысының полиция департаменті", "Police department of Atyrau region"),
    ("KZ-27", "Департамент полиции Западно-Казахстанской области", "Батыс Қазақстан облысының полиция департаменті", "Police department of West Kazakhstan region"),
    ("KZ-31", "Департамент полиции Жамбылской области", "Жамбыл облысының полиция департаменті", "Police department of Jambyl region"),
    ("KZ-33", "Департамент полиции области Жетісу", "Жетісу облысының полиция департаменті", "Police department of Jetisu region"),
    ("KZ-35", "Департамент полиции Карагандинской области", "Қарағанды облысының полиция департаменті", "Police department of Karaganda region"),
    ("KZ-39", "Департамент полиции Костанайской области", "Қостанай облысының полиция департаменті", "Police department of Kostanay region"),
    ("KZ-43", "Департамент полиции Кызылординской области", "Қызылорда облысының полиция департаменті", "Police department of Kyzylorda region"),
    ("KZ-47", "Департамент полиции Мангистауской области", "Маңғыстау облысының полиция департаменті", "Police department of Mangystau region"),
    ("KZ-55", "Департамент полиции Павлодарской области", "Павлодар облысының полиция департаменті", "Police department of Pavlodar region"),
    ("KZ-59", "Департамент полиции Северо-Казахстанской области", "Солтүстік Қазақстан облысының полиция департаменті", "Police department of North Kazakhstan region"),
    ("KZ-61", "Департамент полиции Туркестанской области", "Түркістан облысының полиция департаменті", "Police department of Turkistan region"),
    ("KZ-62", "Департамент полиции области Ұлытау", "Ұлытау облысының полиция департаменті", "Police department of Ulytau region"),
    ("KZ-63", "Департамент полиции Восточно-Казахстанской области", "Шығыс Қазақстан облысының полиция департаменті", "Police department of East Kazakhstan region"),
    ("KZ-71", "Департамент полиции города Астаны", "Астана қаласының полиция департаменті", "Police department of Astana"),
    ("KZ-75", "Департамент полиции города Алматы", "Алматы қаласының полиция департаменті", "Police department of Almaty"),
    ("KZ-79", "Департамент полиции города Шымкента", "Шымкент қаласының полиция департаменті", "Police department of Shymkent"),
]
# Staff names of the regional inspectors (fictitious).
REGIONAL_INSPECTOR_NAMES = [
    "Асель Жумабаева", "Ерлан Оспанов", "Наталья Козлова", "Даурен Садыков", "Гульнар Ибраева",
    "Руслан Калиев", "Мадина Тулегенова", "Кайрат Смагулов", "Ольга Петрова", "Сергей Волков",
    "Алия Касымова", "Тимур Есенов", "Ирина Белова", "Андрей Соколов", "Жанар Ахметова",
    "Нурлан Абенов", "Светлана Ким", "Азамат Бейсенов", "Динара Утегенова", "Бекзат Юсупов",
]


def regional_username(region_iso: str) -> str:
    return "inspector_" + region_iso.lower().replace("-", "")


@transaction.atomic
def seed_regional_police() -> dict[str, User]:
    """One police department and one inspector (``inspector_kz10`` …) per region; safe to run again."""
    kind = AgencyKind.objects.get(code="police")
    out: dict[str, User] = {}
    for n, (iso, ru, kk, en) in enumerate(REGIONAL_POLICE):
        region = Region.objects.get(iso=iso)
        unit = Unit.objects.filter(kind=kind, region=region, name_ru=ru).first() or unit_create(
            actor=None, kind=kind, region=region, name_ru=ru, name_kk=kk, name_en=en
        )
        username = regional_username(iso)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=Role.POLICE_INSPECTOR,
                unit=unit,
                full_name=REGIONAL_INSPECTOR_NAMES[n],
            )
            _totp_device(user)
        out[iso] = user
    return out
