"""The person registry at national scale (DESIGN §9): matching one new person against a registry of
a million records, and de-duplicating the whole registry in one batch, each against a baseline
measured in the same run.

``python -m bench.registry_scale --people 1000000 --database both`` builds the registry in a
dedicated database (an SQLite file under ``var/bench/`` in WAL mode, and/or the PostgreSQL database
``qorgau_bench``), then measures

* incremental matching (``people.registry.match``) of a few thousand new reports — repeats of
  registered people written another way, repeats with a typo, repeats without an IIN, and people
  not in the registry — as p50/p99 latency against one indexed ``PersonKey`` lookup, and the
  DESIGN §9 goal (p99 under 20 ms);
* batch de-duplication (``people.batch.deduplicate``, dry run) in records per second, against a
  plain scan of every ``PersonKey`` row.

The population is synthetic. ``demo.linkage_set`` (the labelled evaluation set) has realistic
spellings but a deliberately small name pool (a few dozen surnames), which at a million records
would put ~15,000 people under one surname; here its names head the frequency lists and a long tail
of synthetic Kazakh and Russian names follows, with Zipf-like frequencies calibrated on names.md §5
(the top surname is held by ~0.4 % of people, the top 33 by ~4.4 %). Each person has 1–4 records
typed as different agencies would (script, Latin scheme, patronymic or not, swapped order, typos,
missing IIN or birth date), like the labelled set.

Building a million records takes a few minutes (encryption and keys in worker processes, then
``executemany`` or ``COPY`` with the secondary indexes built afterwards). ``--reuse`` measures a
registry of the same size left by an earlier run (checked against the keys the engine files today;
``qorgau_bench`` holds one size at a time, so another size rebuilds it). Before probing, the person
tables and their indexes are read into the operating system's cache, as a server holds a registry
of this size in steady state. ``make bench`` calls ``run(report, people=...)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PG_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"
PG_BENCH_DB = "qorgau_bench"
GOAL_P99_MS = 20.0
BUILD_CHUNK = 20_000

# Population -----------------------------------------------------------------------------------------

ETHNICITY = (("kz", 0.72), ("ru", 0.26), ("ko", 0.02))
RECORDS_PER_PERSON = ((1, 0.40), (2, 0.30), (3, 0.20), (4, 0.10))
SURNAME_ZIPF, GIVEN_ZIPF_KZ, GIVEN_ZIPF_RU = 0.57, 0.65, 0.9
KZ_SURNAME_POOL, RU_SURNAME_POOL, KZ_GIVEN_POOL = 40_000, 15_000, 3_000
HAS_PHONE, HAS_PATRONYMIC = 0.8, 0.9
KZ_SCRIPT = (("kz", 0.30), ("ru", 0.50), ("latin", 0.20))
OTHER_LATIN = 0.15
LATIN_SCHEMES = ("ics", "bgn", "2017", "2018", "2021", "passport")
PATRONYMIC_WRITTEN, SWAPPED, INITIAL, TYPO = 0.5, 0.10, 0.03, 0.05
SUFFIX_DROPPED = 0.05
IIN_PRESENT, IIN_MISTYPED = 0.65, 0.03
BIRTH_PRESENT, BIRTH_TYPO = 0.85, 0.02
SEX_RECORDED, PHONE_ON_RECORD = 0.9, 0.3

def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Kazakh name morphemes: names are mostly compounds (Нұр+бек, Ай+гүл, Сұлтан+бек).
_KZ_STARTS = _words(
    "Ай Ақ Ал Ас Асыл Аман Арман Бақ Бал Бек Бол Ғали Дәу Дос Ер Ес Жан Жас Жұл Зар Қай Қан Қуан Мар Мұх "
    "Нұр Ораз Сая Сер Сұлтан Тал Тем Төле Ұл Шол Әл Әс Ғаб Ерж Кен Күн Мейір Нар Сай Сәт Тұр Бауыр Ілияс "
    "Қазы Мақ Аса Бер Дана Еді Жақ Жұма Ізба Қал Қос Мол Мұра Ораз Сағ Сар Тас Төл Үмбет Шын Әбіл Ықы"
)
_KZ_MALE_ENDS = _words(
    "бек бай жан хан ғали болат ұлан лан ат ар ақ тай бол дос мұрат қали сұлтан ғазы әлі жол бай ерлан "
    "тас бақ нұр ым сейіт хамит мағамбет зада жігіт сейіл ер бол ай қожа"
)
_KZ_FEMALE_ENDS = _words("гүл жан ай ым ана айым сұлу нұр дана ия кен ерке жамал ша сәуле зира шат бота тай нұрлы")
_KZ_TO_RU = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
_RU_ROOTS = _words(
    "Бел Вол Гор Жук Зай Коз Лис Мор Нов Орл Пет Рыб Сок Тит Фед Чер Шил Баран Бог Бор Вас Голуб Гусь Дуб "
    "Ерем Жар Зуб Кир Клим Ков Крас Кузьм Лаз Лоб Мак Мед Мих Наз Ник Павл Пол Ром Сав Сем Сид Степ Тар "
    "Тимоф Ткач Уш Фил Фом Хом Цвет Чуд Шар Юд Яков Бы Гриш Дем Ег Жд Карп Лавр Мел"
)
_RU_MIDS = ("", "ан", "иш", "ак", "ен", "уш", "ик", "ор", "ич", "аш", "от", "ил", "ов", "ин", "ц")
_RU_ENDS = ("ов", "ин", "ев", "ский", "енко", "цев", "анов")
_RU_MALE_EXTRA = _words("Артём Кирилл Никита Илья Антон Вадим Геннадий Василий Григорий Степан Валерий Станислав Борис Пётр Фёдор Константин Леонид Вячеслав Анатолий Аркадий")
_RU_FEMALE_EXTRA = _words("Валентина Лариса Надежда Вера Любовь Зоя Алла Инна Полина Кристина Дарья Ксения Алёна Евгения Жанна Раиса Тамара Нина Лидия Софья")
_KO_SURNAMES = ("Ким", "Ли", "Цой", "Пак", "Тен", "Хегай", "Огай", "Югай", "Ан", "Хан", "Шин", "Ни", "Лим", "Хван", "Тян", "Де", "Нам", "Со")
_RU_LETTERS = "абвгдежзийклмнопрстуфхцчшщыэюя"


def _kz_to_ru(word: str) -> str:
    return word.translate(_KZ_TO_RU)


_LATIN_FALLBACK = dict(zip("абвгдежзийклмнопрстуфхцчшщыэюяәғқңөұүһі", _words(
    "a b v g d e zh z i y k l m n o p r s t u f kh ts ch sh shch y e yu ya a g k n o u u h i"), strict=True))


def _latin(word: str, scheme: str, rng: random.Random) -> str:
    try:
        from qorgau.demo.linkage_set import transliterate
    except ImportError:  # the labelled set is optional here: a plain ICS-like spelling
        out = "".join(_LATIN_FALLBACK.get(ch.lower(), ch.lower()) for ch in word)
        return out.capitalize()
    return transliterate(word, scheme, rng)


def _heads() -> dict[str, list[Any]]:
    """The most frequent names, from the labelled evaluation set when it is there."""
    try:
        from qorgau.demo import linkage_set as ls
    except ImportError:
        return {"kz_sur": [], "kz_male": [], "kz_female": [], "ru_sur": [], "ru_male": [], "ru_female": []}
    return {
        "kz_sur": [(kz[:-2] if kz.endswith(("ов", "ев", "ин")) else kz) for _, kz, _ in ls.KZ_SURNAMES],
        "kz_male": [kz for kz, _ in ls.KZ_MALE],
        "kz_female": [kz for kz, _ in ls.KZ_FEMALE],
        "ru_sur": list(ls.RU_SURNAMES),
        "ru_male": list(ls.RU_MALE),
        "ru_female": list(ls.RU_FEMALE),
    }


def _compounds(starts: Sequence[str], ends: Sequence[str], rng: random.Random, n: int, head: Sequence[str]) -> list[str]:
    """``head`` then shuffled start+end (and start+start+end) compounds, ``n`` distinct in all."""
    two = [s + e for s in starts for e in ends]
    rng.shuffle(two)
    three = [a + b.lower() + e for a in starts for b in starts[:20] for e in ends if a != b]
    rng.shuffle(three)
    out, seen = [], set()
    for name in itertools.chain(head, two, three):
        if name not in seen:
            seen.add(name)
            out.append(name)
            if len(out) == n:
                break
    return out


def _zipf_cum(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (k**s) for k in range(1, n + 1)))


class _Pool:
    def __init__(self, items: Sequence[Any], s: float) -> None:
        self.items = list(items)
        self.cum = _zipf_cum(len(self.items), s)

    def draw(self, rng: random.Random) -> Any:
        return rng.choices(self.items, cum_weights=self.cum)[0]


def _surname_of(root: str) -> str:
    """A Kazakh root made a Russian-style surname: Серікбай → Серікбаев, Нұрлан → Нұрланов."""
    if root.endswith("й"):
        return root[:-1] + "ев"
    if root[-1] in "аәеиоөұүыіэюя":
        return root + "ев"
    return root + "ов"


def _female(surname: str) -> str:
    if surname.endswith("ский"):
        return surname[:-2] + "ая"
    return surname + "а" if surname.endswith(("ов", "ев", "ин")) else surname


def _patronymic_ru(father_ru: str, sex: str) -> str:
    base = father_ru[:-1] + "е" if father_ru.endswith("й") else father_ru[:-1] if father_ru.endswith(("а", "я")) else father_ru
    return base + ("вич" if father_ru.endswith("й") else "ович") if sex == "M" else base + ("вна" if father_ru.endswith("й") else "овна")


@dataclass
class Person:
    entity: int
    ethnicity: str
    sex: str
    surname: tuple[str, str, str]  # Kazakh spelling, Russian spelling, bare Kazakh root
    given: tuple[str, str]  # Kazakh, Russian
    father: tuple[str, str] | None
    birth_date: dt.date
    iin: str
    phone: str


@dataclass(frozen=True)
class Entry:
    """One record as a report typed it, and the person it belongs to (ground truth)."""

    entity: int
    full_name: str
    iin: str = ""
    birth_date: dt.date | None = None
    sex: str = "U"
    phone: str = ""


class Population:
    """A seeded synthetic population; the same (seed) always draws the same people and records."""

    def __init__(self, seed: int = 20240601) -> None:
        self.rng = random.Random(seed)
        rng = random.Random(seed + 1)
        heads = _heads()
        kz_roots = _compounds(_KZ_STARTS, _KZ_MALE_ENDS, rng, KZ_SURNAME_POOL, heads["kz_sur"])
        self.kz_surnames = _Pool(kz_roots, SURNAME_ZIPF)
        ru = [r + m + e for r in _RU_ROOTS for m in _RU_MIDS for e in _RU_ENDS]
        rng.shuffle(ru)
        self.ru_surnames = _Pool(list(dict.fromkeys([*heads["ru_sur"], *ru]))[:RU_SURNAME_POOL], SURNAME_ZIPF)
        self.ko_surnames = _Pool(_KO_SURNAMES, 0.8)
        self.kz_male = _Pool(_compounds(_KZ_STARTS, _KZ_MALE_ENDS, rng, KZ_GIVEN_POOL, heads["kz_male"]), GIVEN_ZIPF_KZ)
        self.kz_female = _Pool(_compounds(_KZ_STARTS, _KZ_FEMALE_ENDS, rng, KZ_GIVEN_POOL, heads["kz_female"]), GIVEN_ZIPF_KZ)
        self.ru_male = _Pool(list(dict.fromkeys([*heads["ru_male"], *_RU_MALE_EXTRA])), GIVEN_ZIPF_RU)
        self.ru_female = _Pool(list(dict.fromkeys([*heads["ru_female"], *_RU_FEMALE_EXTRA])), GIVEN_ZIPF_RU)
        self.iins: set[str] = set()
        self.entities = 0

    def _given(self, eth: str, sex: str) -> tuple[str, str]:
        if eth == "kz":
            name = (self.kz_male if sex == "M" else self.kz_female).draw(self.rng)
            return name, _kz_to_ru(name)
        name = (self.ru_male if sex == "M" else self.ru_female).draw(self.rng)
        return name, name

    def _iin(self, birth: dt.date, sex: str) -> str:
        from qorgau.core import iin as iin_rules

        while True:
            value = iin_rules.make(birth, sex, self.rng.randint(0, 9999))
            if value and value not in self.iins:
                self.iins.add(value)
                return value

    def person(self) -> Person:
        rng = self.rng
        eth = rng.choices([e for e, _ in ETHNICITY], cum_weights=list(itertools.accumulate(w for _, w in ETHNICITY)))[0]
        sex = rng.choice("MF")
        if eth == "kz":
            root = self.kz_surnames.draw(rng)
            sur = _surname_of(root)
            sur = _female(sur) if sex == "F" else sur
            surname = (sur, _kz_to_ru(sur), root)
        elif eth == "ru":
            sur = self.ru_surnames.draw(rng)
            sur = _female(sur) if sex == "F" else sur
            surname = (sur, sur, sur)
        else:
            sur = self.ko_surnames.draw(rng)
            surname = (sur, sur, sur)
        father = self._given(eth, "M") if rng.random() < HAS_PATRONYMIC else None
        birth = dt.date.fromordinal(rng.randint(dt.date(1940, 1, 1).toordinal(), dt.date(2012, 12, 31).toordinal()))
        phone = f"7{rng.choice(('01', '02', '05', '07', '08', '47', '71', '75', '77'))}{rng.randint(0, 9999999):07d}" if rng.random() < HAS_PHONE else ""
        self.entities += 1
        return Person(self.entities, eth, sex, surname, self._given(eth, sex), father, birth, self._iin(birth, sex), phone)

    def _typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 4:
            return word
        i = rng.randrange(1, len(word) - 1)
        kind = rng.randrange(4)
        if kind == 0:
            return word[:i] + word[i + 1 :]
        if kind == 1:
            return word[:i] + rng.choice(_RU_LETTERS) + word[i:]
        if kind == 2:
            return word[:i] + rng.choice(_RU_LETTERS) + word[i + 1 :]
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    def entry(self, p: Person, *, typo: bool = False, iin: bool | None = None) -> Entry:
        """One record of ``p`` as some agency typed it (``typo`` forces a typo, ``iin`` its presence)."""
        rng = self.rng
        script = rng.choices(("kz", "ru", "latin"), weights=[w for _, w in KZ_SCRIPT])[0] if p.ethnicity == "kz" else (
            "latin" if rng.random() < OTHER_LATIN else "ru"
        )
        kazakh = script == "kz" or (script == "latin" and p.ethnicity == "kz")
        surname = p.surname[0] if kazakh else p.surname[1]
        if p.ethnicity == "kz" and rng.random() < SUFFIX_DROPPED:
            surname = p.surname[2] if kazakh else _kz_to_ru(p.surname[2])
        given = p.given[0] if kazakh else p.given[1]
        patronymic = ""
        if p.father and rng.random() < PATRONYMIC_WRITTEN:
            if p.ethnicity == "kz" and rng.random() < 0.6:
                patronymic = (p.father[0] if kazakh else p.father[1]) + (
                    ("ұлы" if p.sex == "M" else "қызы") if kazakh else ("улы" if p.sex == "M" else "кызы")
                )
            else:
                patronymic = _patronymic_ru(p.father[1], p.sex)
        which = rng.random()
        if typo or which < TYPO:
            surname = self._typo(surname)
        if (typo and which >= 0.5) or rng.random() < TYPO:
            given = self._typo(given)
        if script == "latin":
            scheme = rng.choice(LATIN_SCHEMES) if p.ethnicity == "kz" else rng.choice(("passport", "ics"))
            surname, given = _latin(surname, scheme, rng), _latin(given, scheme, rng)
            patronymic = _latin(patronymic, scheme, rng) if patronymic else ""
        if rng.random() < INITIAL:
            words = [surname, given[0].upper() + "."]
        elif rng.random() < SWAPPED:
            words = [given, patronymic, surname]
        else:
            words = [surname, given, patronymic]
        value = ""
        if iin if iin is not None else rng.random() < IIN_PRESENT:
            value = p.iin
            if rng.random() < IIN_MISTYPED:
                i = rng.randrange(12)
                value = value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1 :]
        birth: dt.date | None = None
        if rng.random() < BIRTH_PRESENT:
            birth = p.birth_date
            if rng.random() < BIRTH_TYPO:
                birth = birth.replace(day=min(28, birth.day % 10 + 10 * ((birth.day // 10 + 1) % 3) or 1))
        sex = p.sex if rng.random() < SEX_RECORDED else "U"
        phone = ""
        if p.phone and rng.random() < PHONE_ON_RECORD:
            phone = rng.choice((f"+7 {p.phone[:3]} {p.phone[3:6]} {p.phone[6:8]} {p.phone[8:]}", "8" + p.phone, "+7" + p.phone))
        return Entry(p.entity, " ".join(w for w in words if w), value, birth, sex, phone)

    def registry(self, n_records: int) -> tuple[list[Person], list[Entry]]:
        """People and their records until there are ``n_records`` records, in arrival order."""
        people: list[Person] = []
        entries: list[Entry] = []
        counts = [k for k, _ in RECORDS_PER_PERSON]
        cum = list(itertools.accumulate(w for _, w in RECORDS_PER_PERSON))
        while len(entries) < n_records:
            p = self.person()
            people.append(p)
            for _ in range(self.rng.choices(counts, cum_weights=cum)[0]):
                entries.append(self.entry(p))
        del entries[n_records:]
        self.rng.shuffle(entries)
        return people, entries


# Building the registry ------------------------------------------------------------------------------

_PERSON_COLUMNS = (
    "id", "full_name", "iin", "iin_status", "iin_bidx", "name_bidx", "name_dob_bidx", "birth_date", "sex", "phone",
    "address", "workplace", "created_at", "created_by_unit_id", "version", "merged_into_id", "cluster_id",
)  # fmt: skip
_KEY_COLUMNS = ("person_id", "kind", "normaliser", "bidx")


def _encode(job: tuple[int, list[Entry], int, dt.datetime]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Person rows and ``PersonKey`` rows for a chunk of records, exactly as ``person_create`` and
    ``person_keys_file`` would store them: fields encrypted with their column's context, blind
    indexes, blocking keys. Needs no database (runs in worker processes)."""
    from qorgau.accounts.normalise import name_key
    from qorgau.core import crypto
    from qorgau.core import iin as iin_rules
    from qorgau.people.matching import Record, blocking_keys, phone_key
    from qorgau.people.models import IinStatus
    from qorgau.people.models import Person as PersonModel
    from qorgau.people.names import NORMALISER_VERSION
    from qorgau.people.services import iin_index, name_dob_key, person_key_bidx

    first_id, entries, unit_id, created_at = job
    ctx = {f: PersonModel._meta.get_field(f).crypto_context for f in ("full_name", "iin", "phone")}  # type: ignore[attr-defined]
    people: list[tuple[Any, ...]] = []
    keys: list[tuple[Any, ...]] = []
    for offset, e in enumerate(entries):
        pk = first_id + offset
        name = " ".join(e.full_name.split())
        iin = e.iin.strip()
        valid = iin_rules.is_valid(iin)
        info = iin_rules.parse(iin) if valid else None
        status = IinStatus.VALID if valid else (IinStatus.UNVERIFIED if iin else IinStatus.NONE)
        birth = e.birth_date or (info.birth_date if info else None)
        sex = e.sex if e.sex != "U" or not info else info.sex
        phone = e.phone.strip()
        people.append((
            pk,
            crypto.encrypt(name, context=ctx["full_name"]),
            crypto.encrypt(iin, context=ctx["iin"]) if iin else None,
            str(status),
            iin_index(iin) if iin else "",
            crypto.blind_index("person_name", name_key(name)),
            crypto.blind_index("person_name_dob", name_dob_key(name, birth)) if birth else "",
            birth,
            sex,
            crypto.encrypt(phone, context=ctx["phone"]) if phone else None,
            None,
            None,
            created_at,
            unit_id,
            1,
            None,
            pk,
        ))  # fmt: skip
        record = Record(full_name=name, iin=iin, iin_valid=valid, birth_date=birth, sex=sex, phone=phone_key(phone))
        for kind, value in sorted(blocking_keys(record)):
            keys.append((pk, str(kind), NORMALISER_VERSION, person_key_bidx(kind, value)))
    return people, keys


def _layout(model: Any, known: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    """The columns of ``known`` (attnames, in that order) followed by the model's other columns, with
    their defaults prepared for the database, so a field added to the model later still loads."""
    from django.db import connection

    fields = {f.attname: f for f in model._meta.concrete_fields}
    extra = [f for name, f in fields.items() if name not in known and not f.primary_key]
    columns = [fields[name].column for name in known] + [f.column for f in extra]
    return columns, tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)


def _worker_init() -> None:
    os.environ.setdefault("QORGAU_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


def _bench_unit() -> int:
    from qorgau.accounts.models import AgencyKind, Unit
    from qorgau.accounts.services import agency_kinds_load, roles_sync, unit_create
    from qorgau.core.geography import load_reference
    from qorgau.core.models import Region

    unit = Unit.objects.filter(name_en="Registry benchmark unit").first()
    if unit is None:
        load_reference()
        agency_kinds_load()
        roles_sync()
        unit = unit_create(
            actor=None, kind=AgencyKind.objects.get(code="police"), region=Region.objects.get(iso="KZ-75"),
            name_ru="Бенчмарк реестра", name_kk="Тізілім бенчмаркі", name_en="Registry benchmark unit",
        )  # fmt: skip
    return int(unit.pk)


@dataclass
class Registry:
    """A registry built (or found) in the current database, with the ground truth of its records."""

    population: Population
    people: list[Person]
    entries: list[Entry]
    first_id: int
    seconds: float = 0.0  # build time (0 when reused)

    def entity_of(self, pk: int) -> int | None:
        i = pk - self.first_id
        return self.entries[i].entity if 0 <= i < len(self.entries) else None


def build(
    n_records: int,
    *,
    seed: int = 20240601,
    workers: int = 1,
    unit_id: int | None = None,
    fast: bool | None = None,
    say: Callable[[str], object] = print,
) -> Registry:
    """Insert ``n_records`` person records and their keys into the current database, in bulk
    (``executemany`` on SQLite, ``COPY`` on PostgreSQL). ``fast`` (default: above 50,000 records)
    drops the secondary indexes during the load and builds them afterwards, and skips the
    foreign-key checks of the generated rows."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from qorgau.people.models import Person as PersonModel
    from qorgau.people.models import PersonKey

    started = time.perf_counter()
    fast = n_records >= 50_000 if fast is None else fast
    pop = Population(seed)
    people, entries = pop.registry(n_records)
    say(f"  generated {len(entries):,} records of {len(people):,} people ({time.perf_counter() - started:.0f} s)")
    unit_id = unit_id or _bench_unit()
    first_id = (PersonModel.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    created_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    if connection.vendor == "sqlite":
        created_at_db: Any = connection.ops.adapt_datetimefield_value(created_at)
    else:
        created_at_db = created_at
    jobs = [
        (first_id + start, entries[start : start + BUILD_CHUNK], unit_id, created_at_db)
        for start in range(0, len(entries), BUILD_CHUNK)
    ]
    tables = ("people_person", "people_personkey")
    from qorgau.demo.national.tables import secondary_indexes

    dropped = secondary_indexes(tables) if fast else []
    person_columns, person_extra = _layout(PersonModel, _PERSON_COLUMNS)
    key_columns, key_extra = _layout(PersonKey, _KEY_COLUMNS)
    birth_at = _PERSON_COLUMNS.index("birth_date")
    person_sql = f"INSERT INTO people_person ({', '.join(person_columns)}) VALUES ({', '.join('?' * len(person_columns))})"
    key_sql = f"INSERT INTO people_personkey ({', '.join(key_columns)}) VALUES ({', '.join('?' * len(key_columns))})"
    pool = None
    if workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_init)
    try:
        encoded = pool.imap(_encode, jobs) if pool else map(_encode, jobs)
        connection.ensure_connection()
        raw = connection.connection
        if connection.vendor == "sqlite" and fast:
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_keys = OFF")
                cur.execute("PRAGMA synchronous = OFF")
                cur.execute("PRAGMA cache_size = -1000000")
        with transaction.atomic():
            with connection.cursor() as cur:
                for name, _ in dropped:
                    cur.execute(f'DROP INDEX "{name}"')
                if connection.vendor == "postgresql" and fast:
                    cur.execute("SET LOCAL session_replication_role = replica")  # no FK triggers on the generated rows
            done = 0
            for person_rows, key_rows in encoded:
                if connection.vendor == "sqlite":
                    adapt = connection.ops.adapt_datefield_value
                    raw.executemany(person_sql, [
                        (*r[:birth_at], adapt(r[birth_at]), *r[birth_at + 1 :], *person_extra) for r in person_rows
                    ])  # fmt: skip
                    raw.executemany(key_sql, [r + key_extra for r in key_rows])
                else:
                    with raw.cursor() as pg:
                        with pg.copy(f"COPY people_person ({', '.join(person_columns)}) FROM STDIN") as copy:
                            for row in person_rows:
                                copy.write_row(row + person_extra)
                        with pg.copy(f"COPY people_personkey ({', '.join(key_columns)}) FROM STDIN") as copy:
                            for row in key_rows:
                                copy.write_row(row + key_extra)
                done += len(person_rows)
                if done % 100_000 < BUILD_CHUNK or done == len(entries):
                    say(f"  inserted {done:,} records ({time.perf_counter() - started:.0f} s)")
            with connection.cursor() as cur:
                if dropped:
                    say(f"  building {len(dropped)} indexes")
                    if connection.vendor == "postgresql":
                        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
                for _, create in dropped:
                    cur.execute(create)
                for sql in connection.ops.sequence_reset_sql(no_style(), [PersonModel, PersonKey]):
                    cur.execute(sql)
    finally:
        if pool:
            pool.close()
            pool.join()
        if connection.vendor == "sqlite" and fast:
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_keys = ON")
                cur.execute("PRAGMA synchronous = NORMAL")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    seconds = time.perf_counter() - started
    say(f"  built {len(entries):,} records in {seconds:.0f} s ({len(entries) / seconds:,.0f} records/s)")
    return Registry(pop, people, entries, first_id, seconds)


def existing(n_records: int, *, seed: int = 20240601) -> Registry | None:
    """The registry ``build`` made earlier in this database, if it is there (same size)."""
    from qorgau.people.models import Person as PersonModel
    from qorgau.people.models import PersonKey

    ids = PersonModel.objects.order_by("id").values_list("id", flat=True)
    first, last = ids.first(), PersonModel.objects.order_by("-id").values_list("id", flat=True).first()
    if first is None or last is None or PersonModel.objects.count() != n_records or last - first + 1 != n_records:
        return None
    pop = Population(seed)
    people, entries = pop.registry(n_records)
    # The keys of the first records as the engine files them today: a registry built by an older
    # engine (another normaliser, other key kinds) is not reused.
    _, expected = _encode((first, entries[:50], 0, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)))
    stored = PersonKey.objects.filter(person_id__lt=first + 50).values_list("person_id", "kind", "normaliser", "bidx")
    if set(stored) != set(expected):
        return None
    return Registry(pop, people, entries, first)


# Probing --------------------------------------------------------------------------------------------

PROBE_MIX = (("repeat", 0.40), ("typo", 0.20), ("no_iin", 0.15), ("new", 0.25))


@dataclass(frozen=True)
class Probe:
    kind: str
    entry: Entry
    registered: bool  # the person has records in the registry


def probes(registry: Registry, n: int) -> list[Probe]:
    """New reports to match: repeats of registered people (spelling variants, typos, no IIN) and
    people who are not in the registry."""
    pop = registry.population
    rng = random.Random(n)
    registered = sorted({e.entity for e in registry.entries})
    by_entity = {p.entity: p for p in registry.people}
    kinds = [k for k, _ in PROBE_MIX]
    weights = [w for _, w in PROBE_MIX]
    out = []
    for _ in range(n):
        kind = rng.choices(kinds, weights=weights)[0]
        if kind == "new":
            out.append(Probe(kind, pop.entry(pop.person()), False))
            continue
        person = by_entity[rng.choice(registered)]
        entry = pop.entry(person, typo=kind == "typo", iin=False if kind == "no_iin" else None)
        out.append(Probe(kind, entry, True))
    return out


@dataclass
class Latency:
    samples_ms: list[float] = field(default_factory=list)

    def pct(self, q: float) -> float:
        data = sorted(self.samples_ms)
        return data[min(len(data) - 1, round(q * (len(data) - 1)))] if data else 0.0


@dataclass
class ProbeResult:
    match: Latency
    baseline: Latency
    found: dict[str, tuple[int, int]]  # kind -> (probes whose person was among the candidates, probes)
    new_auto: int  # new people the engine would have linked automatically (false links)
    new: int


def probe(registry: Registry, items: Sequence[Probe], *, warmup: int = 50) -> ProbeResult:
    """Time ``registry.match`` for each probe, alternating with the baseline (one indexed
    ``PersonKey`` lookup of a random stored key), and check what the matches found."""
    from qorgau.people.matching import Decision, Record
    from qorgau.people.models import PersonKey
    from qorgau.people.registry import match

    rng = random.Random(7)
    lo = PersonKey.objects.order_by("id").values_list("id", flat=True).first() or 0
    hi = PersonKey.objects.order_by("-id").values_list("id", flat=True).first() or 0
    sample = [rng.randint(lo, hi) for _ in range(len(items) + warmup)]
    bidxs = dict(PersonKey.objects.filter(id__in=sample).values_list("id", "bidx"))
    keys = [bidxs[i] for i in sample if i in bidxs] or [""]

    def lookup(bidx: str) -> list[int]:
        return list(PersonKey.objects.filter(bidx=bidx).values_list("person_id", flat=True))

    for p in items[:warmup]:
        match(Record.build(p.entry.full_name, p.entry.iin, p.entry.birth_date, p.entry.sex, p.entry.phone))
        lookup(keys[0])
    result = ProbeResult(Latency(), Latency(), {}, 0, 0)
    for i, p in enumerate(items):
        record = Record.build(p.entry.full_name, p.entry.iin, p.entry.birth_date, p.entry.sex, p.entry.phone)
        t0 = time.perf_counter()
        candidates = match(record)
        t1 = time.perf_counter()
        lookup(keys[i % len(keys)])
        t2 = time.perf_counter()
        result.match.samples_ms.append((t1 - t0) * 1000)
        result.baseline.samples_ms.append((t2 - t1) * 1000)
        if p.registered:
            hit = any(registry.entity_of(c.person.pk) == p.entry.entity for c in candidates)
            found, total = result.found.get(p.kind, (0, 0))
            result.found[p.kind] = (found + int(hit), total + 1)
        else:
            result.new += 1
            result.new_auto += int(any(c.comparison.decision == Decision.AUTO for c in candidates))
    return result


def warm_up() -> float:
    """Bring the person tables and their indexes into the operating system's cache, as a database
    server holds a registry of this size in steady state (a registry reused from an earlier run is
    otherwise measured cold). Returns the seconds taken."""
    from django.db import DatabaseError, connection, transaction

    t0 = time.perf_counter()
    if connection.vendor == "sqlite":
        for suffix in ("", "-wal"):
            path = Path(f"{connection.settings_dict['NAME']}{suffix}")
            if path.exists():
                with path.open("rb") as fh:
                    while fh.read(1 << 24):
                        pass
        return time.perf_counter() - t0
    with connection.cursor() as cur:
        try:
            with transaction.atomic():
                cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
                cur.execute(
                    "SELECT pg_prewarm(oid::regclass, 'read') FROM pg_class WHERE oid IN ("
                    " SELECT indexrelid FROM pg_index WHERE indrelid IN ('people_person'::regclass, 'people_personkey'::regclass)"
                    " UNION SELECT 'people_person'::regclass UNION SELECT 'people_personkey'::regclass)"
                )
        except DatabaseError:  # no pg_prewarm: read the tables and the key index once
            cur.execute("SELECT SUM(LENGTH(full_name)) FROM people_person")
            cur.execute("SELECT COUNT(*) FROM (SELECT bidx FROM people_personkey ORDER BY bidx) k")
    return time.perf_counter() - t0


def scan_keys() -> int:
    """The batch baseline: read every ``PersonKey`` row once (a server-side cursor on PostgreSQL)."""
    from django.db import connection

    rows = 0
    with connection.chunked_cursor() as cur:
        cur.execute("SELECT person_id, bidx FROM people_personkey")
        while chunk := cur.fetchmany(20_000):
            rows += len(chunk)
    return rows


def batch_truth(registry: Registry, summary: Any) -> str:
    """The batch's pairs against the ground truth: how many automatic and review pairs are one
    person, and the share of all same-person pairs found."""
    from collections import Counter

    from qorgau.people.matching import Decision

    same = {Decision.AUTO: 0, Decision.REVIEW: 0}
    total = {Decision.AUTO: 0, Decision.REVIEW: 0}
    for m in summary.matches:
        total[m.decision] += 1
        same[m.decision] += int(registry.entity_of(m.record) == registry.entity_of(m.into))
    true_pairs = sum(k * (k - 1) // 2 for k in Counter(e.entity for e in registry.entries).values())
    found = same[Decision.AUTO] + same[Decision.REVIEW]

    def share(a: int, b: int) -> str:
        return f"{a / b:.2%}" if b else "n/a"

    return (
        f"auto pairs that are one person {share(same[Decision.AUTO], total[Decision.AUTO])}, "
        f"review pairs {share(same[Decision.REVIEW], total[Decision.REVIEW])}; "
        f"same-person pairs found {share(found, true_pairs)} of {true_pairs:,}"
    )


# Running ----------------------------------------------------------------------------------------

@contextmanager
def database(url: str) -> Iterator[None]:
    """Point Django's default connection at ``url`` for the duration (the previous connection, such
    as ``make bench``'s test database, is kept open and restored afterwards)."""
    import dj_database_url
    from django.db import connections
    from django.db.utils import load_backend

    cfg: dict[str, Any] = dict(dj_database_url.parse(url))
    if cfg["ENGINE"] == "django.db.backends.sqlite3":  # as qorgau.settings configures SQLite: WAL, busy timeout
        cfg["OPTIONS"] = {
            "timeout": 60,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    cfg = connections.configure_settings({"default": cfg})["default"]
    old = connections["default"]
    new = load_backend(cfg["ENGINE"]).DatabaseWrapper(cfg, "default")
    connections["default"] = new
    try:
        yield
    finally:
        new.close()
        connections["default"] = old


def _pg_recreate(server_url: str, name: str) -> None:
    import urllib.parse

    import psycopg

    p = urllib.parse.urlparse(server_url)
    with psycopg.connect(host=p.hostname, port=p.port or 5432, user=p.username, password=p.password, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _pg_exists(server_url: str, name: str) -> bool:
    import urllib.parse

    import psycopg

    p = urllib.parse.urlparse(server_url)
    with psycopg.connect(host=p.hostname, port=p.port or 5432, user=p.username, password=p.password, dbname="postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _sqlite_path(people: int) -> Path:
    return HERE.parent / "var" / "bench" / f"registry-{people}.sqlite3"


@contextmanager
def dedicated(kind: str, people: int, *, fresh: bool, pg_server_url: str = PG_SERVER_URL) -> Iterator[str]:
    """A dedicated, migrated benchmark database (SQLite file or PostgreSQL ``qorgau_bench``)."""
    from django.core.management import call_command

    if kind == "sqlite":
        path = _sqlite_path(people)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url, label = f"sqlite:///{path}", f"SQLite (WAL) {path.relative_to(HERE.parent)}"
    else:
        if fresh or not _pg_exists(pg_server_url, PG_BENCH_DB):
            _pg_recreate(pg_server_url, PG_BENCH_DB)
        url, label = pg_server_url.rstrip("/") + "/" + PG_BENCH_DB, f"PostgreSQL {PG_BENCH_DB}"
    with database(url):
        call_command("migrate", verbosity=0)
        yield label


def _ms(x: float) -> str:
    return f"{x:.2f} ms"


def measure(report: Any, registry: Registry, *, label: str, people: int, n_probes: int, say: Callable[[str], object] = print) -> None:
    """The two figures for one database: incremental matching and batch de-duplication."""
    from bench.harness import Figure
    from qorgau.people.batch import deduplicate

    items = probes(registry, n_probes)
    say(f"  warming the cache ({warm_up():.0f} s); probing {len(items):,} new reports")
    res = probe(registry, items, warmup=200)
    p50, p99 = res.match.pct(0.50), res.match.pct(0.99)
    b50, b99 = res.baseline.pct(0.50), res.baseline.pct(0.99)
    met = "met" if p99 < GOAL_P99_MS else "NOT met"
    found = ", ".join(f"{k} {f / t:.0%}" for k, (f, t) in sorted(res.found.items()) if t)
    say(f"  match p50 {_ms(p50)}, p99 {_ms(p99)} (baseline p50 {_ms(b50)}, p99 {_ms(b99)}); goal p99 < {GOAL_P99_MS:.0f} ms: {met}")
    say(f"  person found among the candidates: {found}; new people auto-linked: {res.new_auto}/{res.new}")
    build_note = f"; built in {registry.seconds:.0f} s" if registry.seconds else ""
    report.add(Figure(
        f"match one new person vs {people:,} records, p50 [{label}]",
        "one indexed PersonKey lookup, p50",
        1000 / p50, 1000 / b50, p50 / b50,
        note=f"p50 {_ms(p50)}, p99 {_ms(p99)}; goal p99 < {GOAL_P99_MS:.0f} ms {met}; {len(items):,} probes; found: {found}{build_note}",
    ))  # fmt: skip
    report.add(Figure(
        f"match one new person vs {people:,} records, p99 [{label}]",
        "one indexed PersonKey lookup, p99",
        1000 / p99, 1000 / b99, p99 / b99,
        note=f"p99 {_ms(p99)} (baseline p99 {_ms(b99)})",
    ))  # fmt: skip

    say("  scanning every PersonKey row (baseline)")
    t0 = time.perf_counter()
    rows = scan_keys()
    scan_s = time.perf_counter() - t0
    say(f"  {rows:,} key rows in {scan_s:.1f} s; batch de-duplication (dry run)")
    summary = deduplicate(apply=False, progress=lambda m: say(f"    {m}"))
    for line in summary.lines():
        say(f"    {line}")
    truth = batch_truth(registry, summary)
    say(f"    {truth}")
    report.add(Figure(
        f"batch de-duplication of {people:,} records [{label}]",
        "plain scan of every PersonKey row",
        summary.records / summary.seconds, summary.records / scan_s, summary.seconds / scan_s,
        note=(
            f"{summary.seconds:.0f} s; {summary.candidate_pairs:,} candidate pairs, {summary.ruled_out:,} ruled out in clear, "
            f"{summary.compared:,} compared, {summary.decrypted:,} records decrypted, {summary.auto:,} auto, "
            f"{summary.review:,} review, {summary.oversized_blocks:,} oversized blocks (> {summary.block_cap}) skipped; {truth}"
        ),
    ))  # fmt: skip


def run(
    report: Any,
    *,
    people: int = 1_000_000,
    database_kind: str = "both",
    reuse: bool = False,
    n_probes: int = 3000,
    workers: int | None = None,
    pg_server_url: str = PG_SERVER_URL,
) -> None:
    """Build (or, with ``reuse``, find) a registry of ``people`` records in a dedicated database of
    each kind ("sqlite", "postgres" or "both") and add its figures to ``report``. Reads nothing from
    the environment; PostgreSQL not reachable is reported and skipped."""
    kinds = ("sqlite", "postgres") if database_kind == "both" else (database_kind,)
    workers = workers or min(4, os.cpu_count() or 1)
    for kind in kinds:
        print(f"\nregistry at scale: {people:,} records on {kind}")
        # With ``reuse``, first look for a registry of this size; build afresh when there is none.
        for fresh in (False, True) if reuse else (True,):
            with ExitStack() as stack:
                try:
                    label = stack.enter_context(dedicated(kind, people, fresh=fresh, pg_server_url=pg_server_url))
                except Exception as exc:
                    if kind != "postgres":
                        raise
                    print(f"  SKIPPED: PostgreSQL not reachable at {pg_server_url} ({exc.__class__.__name__}: {exc})")
                    break
                if not fresh:
                    registry = existing(people)
                    if registry is None:
                        continue
                    print(f"  reusing the registry in {label}")
                else:
                    print(f"  building the registry in {label}")
                    registry = build(people, workers=workers)
                measure(report, registry, label=label, people=people, n_probes=n_probes)
                break


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.registry_scale", description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--people", type=int, default=1_000_000, help="records in the registry (default 1,000,000)")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--probes", type=int, default=3000, help="new reports to match (default 3,000)")
    parser.add_argument("--reuse", action="store_true", help="reuse a registry of the same size built by an earlier run")
    parser.add_argument("--workers", type=int, default=0, help="processes encrypting and keying the records (default: CPUs, at most 4)")
    args = parser.parse_args(argv)
    os.environ["QORGAU_MODE"] = "test"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from bench.harness import Report

    report = Report()
    run(report, people=args.people, database_kind=args.database, reuse=args.reuse, n_probes=args.probes, workers=args.workers or None)
    out = HERE.parent / "var" / "bench" / "registry-scale"
    out.mkdir(parents=True, exist_ok=True)
    report.write(out)
    print(f"\nwritten: {out / 'report.md'}")


if __name__ == "__main__":
    main()
