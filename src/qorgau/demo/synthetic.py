"""Synthetic national reports and cases for the demo (issue 3), registered through the real services.

``generate`` plans a data set from a seeded ``random.Random`` only (no database randomness), then
replays it in time order through ``report_register``, ``case_change_state`` and
``safe_contact_update`` as police inspectors of the region, with the project clock held at each
event's time, so that grants, case numbers, timelines and the audit log are those of real use.

What the plan follows (national proportions, rounded):

* reports in all 20 regions, in proportion to the population (every region gets one first when
  there are at least 20 reports); urban or rural by the region's rural share, the district drawn
  among those whose default agrees;
* more than 90% of the victims are women (a running quota keeps male victims below 7%); most
  offenders are husbands, former husbands or partners, then sons of elderly mothers, fathers of
  children, brothers and in-laws; a few reports name several victims of one man;
* forms of violence: physical most often, psychological next, economic, sexual rarely; neglect
  for elderly and disabled victims; injuries, alcohol, strangulation, weapons, children present;
* valid synthetic IINs that agree with birth date and sex; a few people without an IIN and a few
  whose IIN fails the check (kept as unverified);
* reports spread over the last three years; about a quarter of the pairs come back 2–4 times,
  some within 48 hours about the same incident; older cases supervised or closed, some reopened
  by a new report; some safe-contact preferences; a couple of restricted cases (the offender is a
  police officer), handed to internal oversight;
* the demo's own ``inspector`` (Almaly police, Almaty) holds a handful of recent cases, some of
  them also reported by the demo clinic, school or family-support centre.

Every report carries ``import_key`` ``demo:<seed>:<story>:<n>``; a second run finds them and adds
nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction

from qorgau.accounts.models import User
from qorgau.cases.models import Case, CaseState, Relationship, Report
from qorgau.cases.services import (
    TRANSITIONS,
    ReportInput,
    SafeContactInput,
    VictimInput,
    case_change_state,
    report_register,
    safe_contact_update,
)
from qorgau.core import clock
from qorgau.core import iin as iin_rules
from qorgau.core.models import Region
from qorgau.demo import names as N
from qorgau.demo.linkage_set import transliterate
from qorgau.demo.seed import seed_regional_police
from qorgau.people.services import PersonInput

SCALES = {"small": 300, "medium": 3000}
DEFAULT_SEED = 2026
KEY_PREFIX = "demo:"
SPAN = timedelta(days=3 * 365)
MALE_VICTIM_CAP = 0.07
DEMO_REGION, DEMO_DISTRICT = "KZ-75", "751110000"  # the demo's own Almaly police (demo.seed.UNITS)
DEMO_UNITS = ("inspector", "doctor", "teacher", "social")  # demo users (demo.seed.USERS) who register reports


def reports_for_scale(scale: str | int) -> int:
    """``small`` (about 300 reports), ``medium`` (about 3,000) or a number of reports."""
    if isinstance(scale, int):
        value = scale
    elif scale in SCALES:
        value = SCALES[scale]
    elif scale.strip().isdigit():
        value = int(scale.strip())
    else:
        raise ValueError(f"unknown scale {scale!r}: small, medium or a number of reports")
    if value < 0 or value > 100_000:
        raise ValueError("the number of reports must be between 0 and 100000")
    return value


# ---------------------------------------------------------------------------------------------
# The plan (pure data: the same seed and anchor give the same plan)


@dataclass(frozen=True)
class DistrictInfo:
    kato: str
    name: str
    urban: bool


@dataclass(frozen=True)
class RegionInfo:
    iso: str
    population: int
    rural_share: float
    centre: str
    is_city: bool
    districts: tuple[DistrictInfo, ...]


def regions_load() -> list[RegionInfo]:
    out = []
    for r in Region.objects.prefetch_related("districts").order_by("iso"):
        districts = tuple(DistrictInfo(d.kato, d.name_ru, d.urban_default) for d in sorted(r.districts.all(), key=lambda d: d.kato))
        out.append(
            RegionInfo(
                iso=r.iso,
                population=r.population,
                rural_share=r.population_rural / r.population if r.population else 0.0,
                centre=r.centre_ru,
                is_city=r.kind == Region.Kind.CITY,
                districts=districts,
            )
        )
    return out


@dataclass
class PersonPlan:
    full_name: str
    alt_name: str  # the same person written in the other spelling (Kazakh / Russian), or the same
    birth_date: dt.date | None
    sex: str
    iin: str = ""
    iin_unverified: bool = False
    phone: str = ""
    address: str = ""
    workplace: str = ""
    given: tuple[str, str] = ("", "")  # the given name in Kazakh and Russian spelling

    @property
    def valid_iin(self) -> bool:
        return bool(self.iin) and not self.iin_unverified

    def as_input(self, *, alt: bool = False) -> PersonInput:
        return PersonInput(
            full_name=self.alt_name if alt else self.full_name,
            iin=self.iin,
            iin_unverified_ok=self.iin_unverified,
            birth_date=self.birth_date,
            sex=self.sex,
            phone=self.phone,
            address=self.address,
            workplace=self.workplace,
        )


@dataclass
class VictimPlan:
    person: PersonPlan
    relationship: str
    markers: list[str]


@dataclass
class ReportPlan:
    key: str
    registrar: str  # a region iso (its regional inspector) or one of DEMO_UNITS
    channel: str
    received_at: dt.datetime
    registered_at: dt.datetime
    occurred_at: dt.datetime
    attach: bool  # about the previous report's incident (within 48 hours)
    by_iin: bool  # the registrar typed the IINs (an exact valid-IIN link) instead of picking the people
    alt_spelling: bool
    forms: set[str]
    circumstances: set[str]
    narrative: str
    # A report that names the victim afresh as another registrar wrote her (no IIN): the matcher
    # must find her (issue 4). None keeps the story's own spelling.
    victim_name: str | None = None
    victim_birth: bool = True
    region_iso: str | None = None
    district_kato: str | None = None


@dataclass
class StatePlan:
    at: dt.datetime
    to_state: str
    reason: str


@dataclass
class StoryPlan:
    index: int
    kind: str
    region_iso: str
    district_kato: str
    locality: str
    urban: bool
    registrar: str
    victims: list[VictimPlan]
    offender: PersonPlan
    children: list[PersonPlan]
    reports: list[ReportPlan] = field(default_factory=list)
    states: list[StatePlan] = field(default_factory=list)
    safe_contact: tuple[dt.datetime, SafeContactInput] | None = None
    restricted: bool = False


# Who reported, by kind of story (weights).
CHANNELS = {
    "adult": {
        "police_102": 34,
        "victim": 22,
        "relative": 9,
        "neighbour": 8,
        "hotline_111": 7,
        "patrol": 6,
        "hospital": 5,
        "hotline_150": 4,
        "online": 3,
    },
    "child": {"school": 25, "relative": 18, "police_102": 18, "neighbour": 14, "hospital": 10, "hotline_111": 10, "hotline_150": 5},
    "elder": {"relative": 30, "neighbour": 22, "police_102": 20, "hospital": 12, "hotline_111": 10, "victim": 6},
}
# Kinds of story (weights): who is hurt by whom.
KINDS = {
    "partner": 760,
    "partner_child": 50,
    "elder": 70,
    "child": 40,
    "sibling": 30,
    "in_law": 30,
    "husband": 10,
    "family": 10,
}
PARTNER_RELATIONSHIPS = {"spouse": 58, "ex_spouse": 20, "partner": 22}
# What the offender is to her, as the narrative says it: relationship → (ru, kk) for a male offender.
OFFENDER_WORDS = {
    "spouse": ("муж", "күйеуі"),
    "ex_spouse": ("бывший муж", "бұрынғы күйеуі"),
    "partner": ("сожитель", "бірге тұратын серіктесі"),
    "parent": ("отец", "әкесі"),
    "child": ("сын", "ұлы"),
    "sibling": ("брат", "ағасы"),
    "other_relative": ("свёкор", "қайын атасы"),
    "household": ("сожитель матери", "шешесінің серіктесі"),
}
OFFENDER_WORDS_FEMALE = {"spouse": ("жена", "әйелі"), "other_relative": ("свекровь", "қайын енесі")}
# (male offender, female offender) in Russian; Kazakh verbs do not change with sex.
ACTIONS_RU = {
    "physical": [
        ("нанёс побои", "нанесла побои"),
        ("несколько раз ударил кулаком по лицу", "несколько раз ударила по лицу"),
        ("толкнул, от удара о стену потерпевшая потеряла сознание", "толкнула, потерпевшая упала и ударилась"),
        ("бил руками и ногами", "била палкой"),
        ("таскал за волосы, бил по голове", "таскала за волосы"),
    ],
    "psychological": [
        ("угрожал убийством", "угрожала расправой"),
        ("оскорблял и унижал при детях", "оскорбляла и унижала при родственниках"),
        ("запрещает общаться с родственниками, проверяет телефон", "запрещает выходить из дома"),
        ("выгнал из дома ночью", "выгнала из дома"),
        ("угрожал забрать детей", "угрожала выселить"),
    ],
    "economic": [
        ("отбирает заработную плату и пособие", "отбирает пенсию"),
        ("не даёт денег на продукты и лекарства", "не даёт денег на продукты"),
        ("забрал банковскую карту и документы", "забрала документы"),
    ],
    "sexual": [("принуждал к половой связи", "склоняла к действиям сексуального характера")],
    "neglect": [("оставляет без еды и лекарств", "оставляет без еды и лекарств"), ("не осуществляет уход, запирает одну дома", "не осуществляет уход")],
}
ACTIONS_KK = {
    "physical": ["ұрып-соқты", "бетінен бірнеше рет ұрды"],
    "psychological": ["өлтіремін деп қорқытты", "балалардың көзінше балағаттады", "түнде үйден қуып шықты"],
    "economic": ["жалақысы мен жәрдемақысын тартып алады", "азық-түлік пен дәріге ақша бермейді"],
    "sexual": ["жыныстық қатынасқа мәжбүрледі"],
    "neglect": ["күтім жасамайды, тамақ пен дәрі бермейді"],
}
OPENINGS_RU = {
    "victim": "Обратилась лично. Со слов потерпевшей,",
    "relative": "Обратилась родственница. Со слов заявителя,",
    "neighbour": "Соседи сообщили о криках и шуме. По прибытии установлено, что",
    "school": "Сообщение из школы: классный руководитель заметил следы побоев. Со слов ребёнка,",
    "hospital": "Сообщение из медицинской организации об обращении с травмами. Со слов пострадавшей,",
    "hotline_150": "Звонок на линию 150. Со слов заявителя,",
    "hotline_111": "Обращение в контакт-центр 111. Со слов заявителя,",
    "police_102": "Поступил вызов на 102. Со слов заявителя,",
    "patrol": "Патрулём выявлено, что",
    "online": "Обращение через портал. Со слов заявителя,",
}
OPENINGS_RU_MALE = {
    "victim": "Обратился лично. Со слов потерпевшего,",
    "hospital": "Сообщение из медицинской организации об обращении с травмами. Со слов пострадавшего,",
    "school": "Сообщение из школы: классный руководитель заметил следы побоев. Со слов ребёнка,",
}
CLOSE_REASONS = [
    "Примирение сторон, повторных обращений не поступало.",
    "Профилактический контроль завершён, рисков не выявлено.",
    "Потерпевшая выехала на постоянное место жительства в другой регион.",
    "Защитное предписание исполнено, срок истёк.",
    "Брак расторгнут, стороны проживают раздельно.",
    "Лицо, совершившее насилие, осуждено и отбывает наказание.",
    "Тараптар татуласты, қайталама шағым түскен жоқ.",
]
SUPERVISE_REASONS = [
    "Поставлен на профилактический контроль участкового инспектора.",
    "Вынесено защитное предписание, контроль исполнения.",
    "Судом установлены особые требования к поведению, контроль исполнения.",
    "Профилактикалық бақылауға алынды.",
]
CALL_TIMES = ["будни 10:00–13:00", "после 18:00", "с 9 до 17, когда он на работе", "только утром", "в любое время", "түскі үзіліс кезінде"]
CODE_WORDS = ["Ромашка", "Звонок из аптеки", "Заказ готов", "Подруга Сауле", "Курьер", "Апамның сәлемі"]
OPERATORS = ["701", "702", "705", "707", "747", "771", "775", "776", "777", "778"]
STAFF_WORKPLACES = [
    "УП районного отдела, участковый инспектор полиции",
    "Департамент полиции, оперуполномоченный",
    "Отдел полиции, патрульный полицейский",
]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def allocate(total: int, regions: list[RegionInfo]) -> dict[str, int]:
    """Reports per region: one each when there are enough, the rest by population (largest remainder)."""
    base = 1 if total >= len(regions) else 0
    rest = total - base * len(regions)
    population = sum(r.population for r in regions) or 1
    quotas = {r.iso: rest * r.population / population for r in regions}
    counts = {r.iso: base + int(quotas[r.iso]) for r in regions}
    left = total - sum(counts.values())
    by_remainder = sorted(regions, key=lambda r: (-(quotas[r.iso] - int(quotas[r.iso])), r.iso))
    for r in by_remainder[:left]:
        counts[r.iso] += 1
    return counts


def feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith("ский"):
        return surname[:-2] + "ая"
    return surname


def ru_patronymic(father: str, sex: str) -> str:
    """A Russian-style patronymic from a Kazakh or Uzbek father's name (Нурлан → Нурланович / Нурлановна)."""
    male = sex == "M"
    if father.endswith("а"):
        return father[:-1] + ("аевич" if male else "аевна")
    if father.endswith(("ы", "и", "і")):
        return father[:-1] + ("иевич" if male else "иевна")
    if father.endswith("й"):
        return father[:-1] + ("евич" if male else "евна")
    return father + ("ович" if male else "овна")


@dataclass
class Family:
    """The naming of one family: ethnicity, spelling and surname."""

    ethnicity: str  # kz, ru, ko, uz
    kk_spelling: bool
    surname: str  # masculine form


@dataclass(frozen=True)
class Father:
    kk: str
    ru: str
    son_ru: str
    daughter_ru: str


class Planner:
    def __init__(self, *, seed: int, anchor: dt.datetime, regions: list[RegionInfo]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
        self.anchor = anchor
        self.regions = {r.iso: r for r in regions}
        self.region_list = regions
        self.used_iins: set[str] = set()
        self.victims_total = 0
        self.victims_male = 0

    # -- names ----------------------------------------------------------------------------

    def family(self, region_iso: str) -> Family:
        rng = self.rng
        ru_share, uz_share = N.REGION_MIX.get(region_iso, (0.1, 0.0))
        u = rng.random()
        if u < uz_share:
            return Family("uz", False, rng.choice(N.UZ_SURNAMES))
        if u < uz_share + ru_share:
            if rng.random() < 0.08:
                return Family("ko", False, rng.choice(N.KOREAN_SURNAMES))
            return Family("ru", False, rng.choice(N.RU_SURNAMES))
        kk_spelling = rng.random() < 0.45
        suffixless = rng.random() < (0.25 if kk_spelling else 0.06)
        return Family("kz", kk_spelling, rng.choice(N.KZ_SURNAMES_SUFFIXLESS if suffixless else N.KZ_SURNAMES))

    def father(self, family: Family, born: int) -> Father:
        """A father's given name, from the generation before someone born in ``born``."""
        rng, elder = self.rng, born < 1985
        if family.ethnicity == "kz":
            kk, ru = rng.choice(N.KZ_MALE_ELDER if elder else N.KZ_MALE_ADULT + N.KZ_MALE_ELDER)
            return Father(kk, ru, ru_patronymic(ru, "M"), ru_patronymic(ru, "F"))
        if family.ethnicity == "uz":
            name = rng.choice(N.UZ_MALE_ELDER if elder else N.UZ_MALE_ADULT)
            return Father(name, name, ru_patronymic(name, "M"), ru_patronymic(name, "F"))
        name, son, daughter = rng.choice(N.RU_MALE_ELDER if elder else N.RU_MALE_ADULT + N.RU_MALE_ELDER)
        return Father(name, name, son, daughter)

    def given(self, family: Family, sex: str, born: int) -> tuple[str, str]:
        rng = self.rng
        generation = "child" if born >= 2006 else "elder" if born < 1965 else "adult"
        if family.ethnicity == "kz":
            pools = {
                ("F", "adult"): N.KZ_FEMALE_ADULT,
                ("F", "elder"): N.KZ_FEMALE_ELDER,
                ("F", "child"): N.KZ_FEMALE_CHILD,
                ("M", "adult"): N.KZ_MALE_ADULT,
                ("M", "elder"): N.KZ_MALE_ELDER,
                ("M", "child"): N.KZ_MALE_CHILD,
            }
            kk, ru = rng.choice(pools[(sex, generation)])
            return kk, ru
        if family.ethnicity == "uz":
            plain = {
                ("F", "adult"): N.UZ_FEMALE_ADULT,
                ("F", "elder"): N.UZ_FEMALE_ELDER,
                ("F", "child"): N.UZ_FEMALE_CHILD,
                ("M", "adult"): N.UZ_MALE_ADULT,
                ("M", "elder"): N.UZ_MALE_ELDER,
                ("M", "child"): N.UZ_MALE_CHILD,
            }
            name = rng.choice(plain[(sex, generation)])
            return name, name
        if sex == "F":
            name = rng.choice({"adult": N.RU_FEMALE_ADULT, "elder": N.RU_FEMALE_ELDER, "child": N.RU_FEMALE_CHILD}[generation])
        elif generation == "child":
            name = rng.choice(N.RU_MALE_CHILD)
        else:
            name = rng.choice(N.RU_MALE_ELDER if generation == "elder" else N.RU_MALE_ADULT)[0]
        return name, name

    def full_name(self, family: Family, sex: str, born: int, father: Father | None = None) -> tuple[str, str, tuple[str, str]]:
        """(as written, in the other spelling, the given name in both spellings): given name,
        patronymic (usually) and surname."""
        rng = self.rng
        father = father or self.father(family, born)
        kk_given, ru_given = self.given(family, sex, born)
        surname = family.surname if sex == "M" else feminine(family.surname)
        with_patronymic = rng.random() < 0.92
        if family.ethnicity == "kz":
            kk_patronymic = father.kk + ("ұлы" if sex == "M" else "қызы")
            ru_patronymic_ = father.son_ru if sex == "M" else father.daughter_ru
            if family.kk_spelling and rng.random() < 0.06:
                # the patronymic is the surname (Ерлан Серікұлы)
                return f"{kk_given} {kk_patronymic}", f"{ru_given} {kk_patronymic}", (kk_given, ru_given)
            kk_form = f"{kk_given} {kk_patronymic} {surname}" if with_patronymic else f"{kk_given} {surname}"
            ru_form = f"{ru_given} {ru_patronymic_} {surname}" if with_patronymic else f"{ru_given} {surname}"
            forms = (kk_form, ru_form) if family.kk_spelling else (ru_form, kk_form)
            return forms[0], forms[1], (kk_given, ru_given)
        patronymic = father.son_ru if sex == "M" else father.daughter_ru
        name = f"{ru_given} {patronymic} {surname}" if with_patronymic else f"{ru_given} {surname}"
        return name, name, (kk_given, ru_given)

    # -- identity -------------------------------------------------------------------------

    def birth(self, at: dt.datetime, age_min: float, age_max: float, mode: float | None = None) -> dt.date:
        rng = self.rng
        age = rng.triangular(age_min, age_max, mode) if mode is not None else rng.uniform(age_min, age_max)
        return at.date() - timedelta(days=int(age * 365.25))

    def iin(self, birth: dt.date, sex: str) -> str:
        """A valid synthetic IIN, unique in the data set (serials from 2000 on: the demo staff use 1000+)."""
        while True:
            value = iin_rules.make(birth, sex, self.rng.randrange(2000, 10000))
            if value and value[:11] not in self.used_iins:
                self.used_iins.add(value[:11])
                return value

    def phone(self) -> str:
        rng = self.rng
        return f"+7 {rng.choice(OPERATORS)} {rng.randrange(100, 1000)} {rng.randrange(10, 100)} {rng.randrange(10, 100)}"

    def person(
        self,
        family: Family,
        sex: str,
        birth: dt.date,
        *,
        father: Father | None = None,
        no_iin: float = 0.0,
        unverified: float = 0.0,
        address: str = "",
        workplace: str = "",
        phone: float = 0.85,
    ) -> PersonPlan:
        rng = self.rng
        full, alt, given = self.full_name(family, sex, birth.year, father)
        plan = PersonPlan(full_name=full, alt_name=alt, birth_date=birth, sex=sex, address=address, workplace=workplace, given=given)
        u = rng.random()
        if u < no_iin:
            if rng.random() < 0.3:
                plan.birth_date = None  # only the approximate age was known
        elif u < no_iin + unverified:
            valid = self.iin(birth, sex)
            plan.iin = valid[:11] + str((int(valid[11]) + 1 + rng.randrange(9)) % 10)  # a typo in the check digit
            plan.iin_unverified = True
        else:
            plan.iin = self.iin(birth, sex)
        if rng.random() < phone:
            plan.phone = self.phone()
        return plan

    def father_of(self, person: PersonPlan) -> Father:
        """The patronymic a man gives his children, from his own given name."""
        kk, ru = person.given
        for pool in (N.RU_MALE_ADULT, N.RU_MALE_ELDER):
            for name, son, daughter in pool:
                if name == ru:
                    return Father(kk, ru, son, daughter)
        return Father(kk, ru, ru_patronymic(ru, "M"), ru_patronymic(ru, "F"))

    def victim_sex(self, male_share: float) -> str:
        """A victim's sex; male victims are kept under the national cap as the data set grows."""
        male = self.rng.random() < male_share and (self.victims_male + 1) / (self.victims_total + 1) <= MALE_VICTIM_CAP
        return "M" if male else "F"

    def count_victims(self, victims: list[VictimPlan]) -> None:
        self.victims_total += len(victims)
        self.victims_male += sum(1 for v in victims if v.person.sex == "M")

    # -- places ---------------------------------------------------------------------------

    def place(self, region: RegionInfo, *, district_kato: str | None = None) -> tuple[str, str, bool, str]:
        """(district kato, locality, urban, address)."""
        rng = self.rng
        if district_kato is not None:
            district = next(d for d in region.districts if d.kato == district_kato)
            urban = district.urban
        else:
            urban = region.is_city or rng.random() >= region.rural_share
            pool = [d for d in region.districts if d.urban == urban] or list(region.districts)
            weights = [3 if d.name == region.centre else 1 for d in pool]
            district = rng.choices(pool, weights=weights)[0]
        street, house = rng.choice(N.STREETS), rng.randrange(1, 160)
        if urban:
            city = region.centre if region.is_city or not district.urban else district.name
            locality = f"г. {city}"
            flat = f", кв. {rng.randrange(1, 120)}" if rng.random() < 0.7 else ""
            address = f"{locality}, ул. {street}, д. {house}{flat}"
        else:
            locality = f"с. {rng.choice(N.VILLAGES)}"
            address = f"{district.name} р-н, {locality}, ул. {street}, д. {house}"
        return district.kato, locality, urban, address

    # -- who is hurt by whom --------------------------------------------------------------

    def kid(self, family: Family, father: Father | None, at: dt.datetime, mother_birth: dt.date, sex: str, *, victim: bool) -> PersonPlan:
        mother_age = (at.date() - mother_birth).days / 365.25
        lo, hi = max(1.0, mother_age - 42), min(16.0, mother_age - 19)
        if lo > hi:
            lo = hi = max(1.0, min(16.0, mother_age - 19))
        born = self.birth(at, lo, hi + 0.9)
        return self.person(family, sex, born, father=father, no_iin=0.03 if victim else 0.0, phone=0.0)

    def people(self, kind: str, region_iso: str, at: dt.datetime, urban: bool, address: str) -> tuple[list[VictimPlan], PersonPlan, list[PersonPlan]]:
        """The victims, the offender and the children who may witness, as of the first report ``at``."""
        rng = self.rng
        fam = self.family(region_iso)
        rural = [] if urban else ["rural"]
        victims: list[VictimPlan] = []
        children: list[PersonPlan] = []
        if kind == "husband" and self.victim_sex(1.0) == "F":
            kind = "partner"  # the cap on male victims is reached
        if kind in ("partner", "partner_child", "family", "husband"):
            relationship: str = Relationship.SPOUSE if kind in ("family", "husband") else _weighted(rng, PARTNER_RELATIONSHIPS)
            her_birth = self.birth(at, 22, 44, 32) if kind in ("partner_child", "family") else self.birth(at, 18, 64, 31)
            his_birth = her_birth - timedelta(days=rng.randrange(-700, 3300))
            his_family = fam if rng.random() < 0.88 else self.family(region_iso)
            her_family = his_family if relationship == Relationship.SPOUSE and rng.random() < 0.55 else fam
            his_address = "" if relationship == Relationship.EX_SPOUSE and rng.random() < 0.5 else address
            work = rng.choice(N.WORKPLACES) if rng.random() < 0.6 else ""
            his = self.person(his_family, "M", his_birth, no_iin=0.15, unverified=0.05, address=his_address, workplace=work)
            if kind == "husband":
                # a man hurt by his wife: she is the offender
                her = self.person(her_family, "F", her_birth, no_iin=0.1, unverified=0.03, address=address)
                victims.append(VictimPlan(his, relationship, list(rural)))
                self.count_victims(victims)
                return victims, her, []
            her = self.person(her_family, "F", her_birth, no_iin=0.06, unverified=0.04, address=address)
            markers = list(rural)
            age = (at.date() - her_birth).days / 365.25
            if age < 40 and rng.random() < 0.05:
                markers.append("pregnant")
            if rng.random() < 0.03:
                markers.append("disabled")
            if not her.iin and rng.random() < 0.5:
                markers.append("no_documents")
            if rng.random() < 0.08:
                markers.append("multigeneration")
            if rng.random() < 0.02:
                markers.append("migrant_wife")
            victims.append(VictimPlan(her, relationship, markers))
            his_children = relationship != Relationship.PARTNER or rng.random() < 0.4
            kids_family = his_family if his_children else her_family
            kids_father = self.father_of(his) if his_children else None
            hurt = {"partner_child": 1, "family": 2}.get(kind, 0)
            witnesses = rng.choice([0, 0, 1, 1, 2, 2, 3]) if 20 <= age <= 50 else 0
            for _ in range(hurt):
                child = self.kid(kids_family, kids_father, at, her_birth, self.victim_sex(0.5), victim=True)
                victims.append(VictimPlan(child, Relationship.PARENT if his_children else Relationship.HOUSEHOLD, ["minor", *rural]))
            for _ in range(witnesses):
                children.append(self.kid(kids_family, kids_father, at, her_birth, rng.choice("FM"), victim=False))
            if (hurt or witnesses) and relationship != Relationship.SPOUSE and rng.random() < 0.3:
                markers.append("single_mother")
            if kind == "family":
                # his mother lives with them
                mother_birth = his_birth - timedelta(days=int(rng.uniform(20, 35) * 365.25))
                mother = self.person(his_family, "F", mother_birth, no_iin=0.05, address=address, phone=0.5)
                victims.append(VictimPlan(mother, Relationship.CHILD, ["elderly", "multigeneration", *rural]))
            offender = his
        elif kind == "elder":
            her_birth = self.birth(at, 60, 88, 70)
            her = self.person(fam, self.victim_sex(0.2), her_birth, no_iin=0.05, unverified=0.03, address=address, phone=0.6)
            markers = ["elderly", *rural]
            if rng.random() < 0.25:
                markers.append("disabled")
            son_birth = her_birth + timedelta(days=int(rng.uniform(20, 38) * 365.25))
            offender = self.person(fam, "M", son_birth, no_iin=0.12, unverified=0.05, address=address)
            victims.append(VictimPlan(her, Relationship.CHILD, markers))
        elif kind == "child":
            mother_birth = self.birth(at, 24, 48)
            stepfather = rng.random() < 0.3
            man_birth = mother_birth - timedelta(days=rng.randrange(-700, 3000))
            work = rng.choice(N.WORKPLACES)
            man = self.person(self.family(region_iso) if stepfather else fam, "M", man_birth, no_iin=0.1, unverified=0.04, address=address, workplace=work)
            father = None if stepfather else self.father_of(man)
            child = self.kid(fam, father, at, mother_birth, self.victim_sex(0.5), victim=True)
            victims.append(VictimPlan(child, Relationship.HOUSEHOLD if stepfather else Relationship.PARENT, ["minor", *rural]))
            offender = man
        elif kind == "sibling":
            her_birth = self.birth(at, 18, 45)
            father = self.father(fam, her_birth.year)
            her = self.person(fam, "F", her_birth, father=father, no_iin=0.05, unverified=0.03, address=address)
            brother_birth = her_birth - timedelta(days=rng.randrange(-2500, 2500))
            offender = self.person(fam, "M", brother_birth, father=father, no_iin=0.15, unverified=0.05, address=address)
            victims.append(VictimPlan(her, Relationship.SIBLING, list(rural)))
        else:  # in_law: a daughter-in-law hurt by her husband's father or mother
            her_birth = self.birth(at, 18, 40)
            her = self.person(self.family(region_iso), "F", her_birth, no_iin=0.06, unverified=0.03, address=address)
            parent_birth = her_birth - timedelta(days=int(rng.uniform(22, 35) * 365.25))
            offender = self.person(fam, rng.choice("MF"), parent_birth, no_iin=0.1, address=address)
            victims.append(VictimPlan(her, Relationship.OTHER_RELATIVE, ["multigeneration", *rural]))
        self.count_victims(victims)
        return victims, offender, children

    # -- reports over time ----------------------------------------------------------------

    def dates(self, n: int, *, recent: timedelta | None = None, newest: timedelta | None = None) -> list[tuple[dt.datetime, dt.datetime, dt.datetime, bool]]:
        """(received, registered, occurred, about the previous report's incident) of a pair's reports."""
        rng = self.rng
        gaps: list[tuple[timedelta, bool]] = []
        for k in range(1, n):
            if k == 1 and rng.random() < 0.35:
                gaps.append((timedelta(hours=rng.uniform(1.5, 30)), True))
            else:
                gaps.append((timedelta(days=rng.uniform(5, 40) if recent else rng.uniform(7, 200)), False))
        span = sum((g for g, _ in gaps), timedelta())
        latest = self.anchor - timedelta(hours=2)
        if newest is not None:
            first = self.anchor - newest - span
        else:
            window = max((recent or SPAN) - span - timedelta(hours=2), timedelta())
            first = latest - span - window * rng.random()
            # evenings and nights are the most common (local time UTC+5)
            evening = first.replace(hour=_evening_hour(rng), minute=rng.randrange(60))
            first = evening if evening + span <= latest else evening - timedelta(days=1)
        out: list[tuple[dt.datetime, dt.datetime, dt.datetime, bool]] = []
        received = first
        for k in range(n):
            attach = bool(k) and gaps[k - 1][1]
            if k:
                received = received + gaps[k - 1][0]
            attach_next = k + 1 < n and gaps[k][1]
            if attach:
                occurred = out[-1][2]
            elif attach_next or newest is not None or rng.random() < 0.85:
                occurred = received - timedelta(minutes=rng.uniform(12, 600))
            else:
                occurred = received - timedelta(days=rng.uniform(1, 6))
            registered = received + timedelta(minutes=rng.uniform(3, 45))
            out.append((received, registered, occurred, attach))
        return out

    def forms_for(self, kind: str, victims: list[VictimPlan], children: list[PersonPlan]) -> tuple[set[str], set[str]]:
        rng = self.rng
        if kind == "elder":
            probs = {"neglect": 0.45, "economic": 0.4, "psychological": 0.5, "physical": 0.4}
        elif kind == "child":
            probs = {"physical": 0.6, "psychological": 0.45, "neglect": 0.25, "sexual": 0.04}
        elif kind in ("sibling", "in_law"):
            probs = {"physical": 0.6, "psychological": 0.55, "economic": 0.12}
        else:
            probs = {"physical": 0.68, "psychological": 0.62, "economic": 0.15, "sexual": 0.05}
        forms = {form for form, p in probs.items() if rng.random() < p}
        if any("disabled" in v.markers for v in victims) and rng.random() < 0.5:
            forms.add("neglect")
        if not forms:
            forms.add("physical" if rng.random() < 0.6 else "psychological")
        circumstances: set[str] = set()
        if "physical" in forms:
            if rng.random() < 0.45:
                circumstances.add("injuries")
            if kind in ("partner", "partner_child", "family") and rng.random() < 0.08:
                circumstances.add("strangulation")
        if rng.random() < (0.02 if kind == "elder" else 0.06):
            circumstances.add("weapon")
        if rng.random() < (0.3 if kind == "child" else 0.45):
            circumstances.add("alcohol")
        if rng.random() < 0.03:
            circumstances.add("drugs")
        if children and rng.random() < 0.6:
            circumstances.add("children_present")
        if any("minor" in v.markers for v in victims):
            circumstances.add("children_harmed")
        return forms, circumstances

    def narrative(self, story: StoryPlan, channel: str, forms: set[str], circumstances: set[str]) -> str:
        rng = self.rng
        victim = story.victims[0]
        relationship = str(victim.relationship)
        female_offender = story.offender.sex == "F"
        words = (OFFENDER_WORDS_FEMALE.get(relationship) if female_offender else None) or OFFENDER_WORDS[relationship]
        if relationship == "household" and "minor" not in victim.markers:
            words = ("сожитель", "бірге тұратын серіктесі")
        order = [f for f in ("physical", "psychological", "economic", "sexual", "neglect") if f in forms]
        if rng.random() < 0.2:
            actions_kk = [rng.choice(ACTIONS_KK[f]) for f in order]
            if "strangulation" in circumstances:
                actions_kk.append("тұншықтырды")
            if "weapon" in circumstances:
                actions_kk.append("пышақпен қорқытты")
            drunk_kk = "мас күйінде " if "alcohol" in circumstances else ""
            text = f"Жәбірленушінің айтуынша, {words[1]} {drunk_kk}{', '.join(actions_kk)}."
            if "injuries" in circumstances:
                text += " Дене жарақаттары бар."
            if "children_present" in circumstances:
                text += " Оқиға кезінде үйде балалар болған."
            return text
        pick = 1 if female_offender else 0
        actions = [rng.choice(ACTIONS_RU[f])[pick] for f in order]
        if "strangulation" in circumstances:
            actions.append("душила" if female_offender else "душил")
        if "weapon" in circumstances:
            actions.append("угрожала ножом" if female_offender else "угрожал ножом")
        drunk = "в состоянии алкогольного опьянения " if "alcohol" in circumstances else ""
        male_victim = victim.person.sex == "M"
        opening = (OPENINGS_RU_MALE.get(channel) if male_victim else None) or OPENINGS_RU[channel]
        text = f"{opening} {words[0]} {drunk}{', '.join(actions)}."
        if "injuries" in circumstances:
            sent = "потерпевший направлен" if male_victim else "потерпевшая направлена"
            text += f" Имеются телесные повреждения (гематомы, ссадины), {sent} на СМЭ."
        if "children_present" in circumstances:
            text += " Во время происшествия дома находились несовершеннолетние дети."
        return text

    def channel_for(self, kind: str) -> str:
        group = "child" if kind == "child" else "elder" if kind == "elder" else "adult"
        return _weighted(self.rng, CHANNELS[group])

    def story(
        self, index: int, region_iso: str, registrar: str, n_reports: int, *,
        district_kato: str | None = None, recent: timedelta | None = None, newest: timedelta | None = None,
    ) -> StoryPlan:
        rng = self.rng
        region = self.regions[region_iso]
        kind = _weighted(rng, KINDS)
        district, locality, urban, address = self.place(region, district_kato=district_kato)
        dates = self.dates(n_reports, recent=recent, newest=newest)
        victims, offender, children = self.people(kind, region_iso, dates[0][0], urban, address)
        if kind == "husband" and offender.sex == "M":
            kind = "partner"
        story = StoryPlan(index, kind, region_iso, district, locality, urban, registrar, victims, offender, children)
        for k, (received, registered, occurred, attach) in enumerate(dates):
            if attach:
                forms, circumstances = story.reports[-1].forms, story.reports[-1].circumstances
            else:
                forms, circumstances = self.forms_for(kind, victims, children)
            channel = self.channel_for(kind)
            story.reports.append(
                ReportPlan(
                    key=f"{KEY_PREFIX}{self.seed}:{index}:{k}",
                    registrar=registrar,
                    channel=channel,
                    received_at=received,
                    registered_at=registered,
                    occurred_at=occurred,
                    attach=attach,
                    by_iin=False,
                    alt_spelling=False,
                    forms=forms,
                    circumstances=circumstances,
                    narrative=self.narrative(story, channel, forms, circumstances),
                )
            )
        everyone = [v.person for v in victims] + [offender] + children
        if all(p.valid_iin for p in everyone):
            for rp in story.reports[1:]:
                rp.by_iin = rng.random() < 0.5
                rp.alt_spelling = rp.by_iin and rng.random() < 0.3
        self.states(story)
        if rng.random() < 0.3 and victims[0].person.sex == "F" and kind != "child":
            story.safe_contact = (
                story.reports[0].registered_at + timedelta(minutes=rng.uniform(5, 30)),
                SafeContactInput(
                    may_call=rng.random() < 0.7,
                    call_times=rng.choice(CALL_TIMES),
                    phone=self.phone() if rng.random() < 0.6 else "",
                    may_leave_message=rng.random() < 0.25,
                    code_word=rng.choice(CODE_WORDS) if rng.random() < 0.5 else "",
                ),
            )
        return story

    def states(self, story: StoryPlan) -> None:
        """Older cases are supervised or closed; some are closed between reports and reopened by the next."""
        rng = self.rng
        for rp, nxt in itertools.pairwise(story.reports):
            gap = nxt.registered_at - rp.registered_at
            if gap > timedelta(days=60) and rng.random() < 0.35:
                story.states.append(StatePlan(rp.registered_at + gap * rng.uniform(0.3, 0.7), CaseState.CLOSED, rng.choice(CLOSE_REASONS)))
        last = story.reports[-1].registered_at
        age = self.anchor - last
        u = rng.random()
        day = timedelta(days=1)
        if age > 120 * day:
            if u < 0.5:
                if rng.random() < 0.4:
                    story.states.append(StatePlan(last + day * rng.uniform(5, 30), CaseState.SUPERVISED, rng.choice(SUPERVISE_REASONS)))
                latest = min(age - day, 360 * day)
                story.states.append(StatePlan(last + 31 * day + (latest - 31 * day) * rng.random(), CaseState.CLOSED, rng.choice(CLOSE_REASONS)))
            elif u < 0.75:
                story.states.append(StatePlan(last + day * rng.uniform(5, 60), CaseState.SUPERVISED, rng.choice(SUPERVISE_REASONS)))
        elif age > 30 * day:
            if u < 0.35:
                story.states.append(StatePlan(last + day * rng.uniform(3, 25), CaseState.SUPERVISED, rng.choice(SUPERVISE_REASONS)))
            elif u < 0.45:
                story.states.append(StatePlan(last + 20 * day + (age - 21 * day) * rng.random(), CaseState.CLOSED, rng.choice(CLOSE_REASONS)))

    # -- the whole set --------------------------------------------------------------------

    def repeats(self, *, often: bool = False) -> int:
        rng = self.rng
        if rng.random() >= (0.45 if often else 0.25):
            return 1
        return rng.choices([2, 3, 4], weights=[60, 30, 10])[0]

    def plan(self, total: int) -> list[StoryPlan]:
        rng = self.rng
        budgets = allocate(total, self.region_list)
        stories: list[StoryPlan] = []
        demo_stories = min(14, max(2, total // 22)) if total else 0
        for region in self.region_list:
            left = budgets[region.iso]
            own = demo_stories if region.iso == DEMO_REGION else 0
            while left > 0:
                if own > 0:
                    # the demo inspector's recent pairs; the first is a few hours old, so a new report can still attach to it
                    newest = timedelta(hours=rng.uniform(6, 20)) if own == demo_stories else None
                    own -= 1
                    n = min(self.repeats(often=True), left)
                    story = self.story(len(stories), region.iso, "inspector", n, district_kato=DEMO_DISTRICT, recent=timedelta(days=120), newest=newest)
                else:
                    n = min(self.repeats(), left)
                    story = self.story(len(stories), region.iso, region.iso, n)
                stories.append(story)
                left -= n
        self.demo_units(stories)
        self.restricted(stories, 2 if total >= 60 else 1 if total >= 20 else 0)
        self.wanderers(stories, 2 if total >= 150 else 1 if total >= 30 else 0)
        return stories

    def wanderers(self, stories: list[StoryPlan], count: int) -> None:
        """Women without an IIN who report again in other districts and regions, written each time
        as another registrar spelled her: in Latin letters from her passport, in Kazakh spelling with
        the surname suffix dropped and the names swapped — the matcher links them all by name and
        birth date. One more is written with a surname typo: the review queue."""
        rng = self.rng
        pool = [
            s for s in stories
            if s.kind == "partner" and len(s.reports) >= 2 and len(s.victims) == 1 and not s.restricted
            and s.registrar.startswith("KZ-") and s.victims[0].person.birth_date and s.offender.valid_iin
            and len(self.regions[s.region_iso].districts) >= 2
        ]
        long = [s for s in pool if len(s.reports) >= 3]
        wander = rng.sample(long, min(count, len(long)))
        typos = rng.sample([s for s in pool if s not in wander], min(count, len(pool) - len(wander)))
        for story in wander + typos:
            victim = story.victims[0].person
            victim.iin, victim.iin_unverified = "", False
            story.states, story.safe_contact = [], None
            words = victim.full_name.split()  # given name, patronymic (usually), surname
            if story in wander:
                self._wander(story, words, victim.given[0] or words[0])
            else:
                surname = words[-1]
                typo = surname[:2] + surname[3] + surname[2] + surname[4:] if len(surname) > 4 else surname + "а"
                second = story.reports[1]
                second.by_iin, second.alt_spelling, second.attach = True, False, False
                second.victim_name = " ".join([*words[:-1], typo])

    def _wander(self, story: StoryPlan, words: list[str], kk_given: str) -> None:
        rng = self.rng
        surname = words[-1]
        region = self.regions[story.region_iso]
        others = [d.kato for d in region.districts if d.kato != story.district_kato]
        neighbour = rng.choice([r for r in self.region_list if r.iso != story.region_iso and r.districts])
        latin = " ".join(transliterate(w, "passport", rng) for w in (surname, words[0]))  # passport order
        stem = next((surname[: -len(e)] for e in ("ова", "ева", "ина") if surname.endswith(e)), surname)
        places = [
            (None, None, None),
            (latin, story.region_iso, rng.choice(others)),
            (f"{stem} {kk_given}", neighbour.iso, rng.choice(neighbour.districts).kato),
        ]
        span = self.anchor - timedelta(days=150)
        for k, (rp, (name, iso, kato)) in enumerate(zip(story.reports[:3], places, strict=True)):
            at = span + timedelta(days=45 * k, hours=rng.uniform(0, 12))
            rp.received_at, rp.registered_at, rp.occurred_at = at, at + timedelta(minutes=20), at - timedelta(hours=2)
            rp.attach, rp.alt_spelling = False, False
            if name is not None:
                rp.by_iin, rp.victim_name, rp.region_iso, rp.district_kato = True, name, iso, kato
                rp.registrar = iso or story.registrar
        for k, rp in enumerate(story.reports[3:], start=3):  # any later report: after the third
            at = span + timedelta(days=45 * k)
            rp.received_at, rp.registered_at, rp.occurred_at, rp.attach = at, at + timedelta(minutes=20), at - timedelta(hours=2), False

    def demo_units(self, stories: list[StoryPlan]) -> None:
        """Some later reports on the inspector's pairs come from the demo clinic, centre and school, which
        type the IINs (an exact valid-IIN link) and so join the case and get access to it."""
        wanted = [("doctor", "hospital", 2), ("social", "victim", 1), ("teacher", "school", 1)]
        for who, channel, count in wanted:
            for story in stories:
                if count == 0:
                    break
                rp = story.reports[-1]
                if story.registrar != "inspector" or len(story.reports) < 2 or rp.attach or rp.registrar != "inspector":
                    continue
                if who == "teacher" and not any("minor" in v.markers for v in story.victims):
                    continue
                if not all(p.valid_iin for p in [*(v.person for v in story.victims), story.offender, *story.children]):
                    continue
                rp.registrar, rp.channel, rp.by_iin = who, channel, True
                rp.narrative = self.narrative(story, channel, rp.forms, rp.circumstances)
                count -= 1

    def restricted(self, stories: list[StoryPlan], count: int) -> None:
        """A couple of pairs whose offender is a police officer: handed to internal oversight."""
        candidates = [s for s in stories if s.kind == "partner" and len(s.reports) == 1 and s.registrar.startswith("KZ-")]
        for story in self.rng.sample(candidates, min(count, len(candidates))):
            story.restricted = True
            story.states, story.safe_contact = [], None
            story.offender.workplace = self.rng.choice(STAFF_WORKPLACES)


def _evening_hour(rng: random.Random) -> int:
    """A UTC hour, mostly in the local (UTC+5) evening and night."""
    local = rng.choices(range(24), weights=[4, 3, 2, 1, 1, 1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 6, 8, 9, 9, 8, 7, 5])[0]
    return (local - 5) % 24


# ---------------------------------------------------------------------------------------------
# Replaying the plan through the services


@dataclass
class Summary:
    reports: int
    cases: int
    regions: int
    skipped: bool = False

    def line(self, seconds: float) -> str:
        if not self.skipped and not self.reports:
            return "Synthetic data: none asked for (--scale 0)"
        state = "already present, nothing added" if self.skipped else "created"
        return f"Synthetic data {state}: {self.reports} reports, {self.cases} cases, {self.regions} regions ({seconds:.1f} s)"


@dataclass
class _Live:
    case_ids: list[int] = field(default_factory=list)
    victim_ids: list[int] = field(default_factory=list)
    offender_id: int | None = None
    incident_id: int | None = None


def present() -> Summary:
    reports = Report.objects.filter(import_key__startswith=KEY_PREFIX)
    cases = Case.objects.filter(incidents__reports__in=reports).distinct()
    return Summary(
        reports=reports.count(),
        cases=cases.count(),
        regions=reports.values("incident__region").distinct().count(),
    )


def _victim_inputs(story: StoryPlan, rp: ReportPlan, live: _Live, first: bool) -> list[VictimInput]:
    out = []
    for i, v in enumerate(story.victims):
        if rp.victim_name is not None:
            typed = dataclasses.replace(v.person.as_input(), full_name=rp.victim_name, birth_date=v.person.birth_date if rp.victim_birth else None)
            out.append(VictimInput(relationship=v.relationship, person=typed))
        elif first or rp.by_iin:
            out.append(VictimInput(relationship=v.relationship, person=v.person.as_input(alt=rp.alt_spelling), markers=v.markers if first else []))
        else:
            out.append(VictimInput(relationship=v.relationship, existing_person_id=live.victim_ids[i]))
    return out


def _register(story: StoryPlan, k: int, actors: dict[str, User], live: _Live) -> None:
    rp = story.reports[k]
    first = k == 0
    by_person = first or rp.by_iin
    data = ReportInput(
        channel=rp.channel,
        received_at=rp.received_at,
        occurred_at=rp.occurred_at,
        region_iso=rp.region_iso or story.region_iso,
        district_kato=rp.district_kato or story.district_kato,
        locality=story.locality if rp.region_iso is None else "",
        urban=story.urban if rp.district_kato is None else None,
        victims=_victim_inputs(story, rp, live, first),
        offender=story.offender.as_input(alt=rp.alt_spelling) if by_person else None,
        offender_existing_id=None if by_person else live.offender_id,
        forms=set(rp.forms),
        circumstances=set(rp.circumstances),
        narrative=rp.narrative,
        child_witnesses=[c.as_input() for c in story.children] if "children_present" in rp.circumstances else [],
        attach_incident_id=live.incident_id if rp.attach else None,
        restricted=story.restricted,
        import_key=rp.key,
    )
    registration = report_register(actor=actors[rp.registrar], data=data)
    live.incident_id = registration.report.incident_id
    if first:
        live.case_ids = [c.pk for c in registration.cases]
        live.victim_ids = [c.victim_id for c in registration.cases]
        live.offender_id = registration.cases[0].offender_id


def _change_state(story: StoryPlan, sp: StatePlan, actors: dict[str, User], live: _Live) -> None:
    for case_id in live.case_ids:
        case = Case.objects.get(pk=case_id)
        if sp.to_state in TRANSITIONS.get(CaseState(case.state), set()):
            case_change_state(actor=actors[story.registrar], case=case, version=case.version, to_state=sp.to_state, reason=sp.reason)


def _safe_contact(story: StoryPlan, data: SafeContactInput, actors: dict[str, User], live: _Live) -> None:
    case = Case.objects.get(pk=live.case_ids[0])
    safe_contact_update(actor=actors[story.registrar], case=case, version=None, data=data)


def generate(*, reports: int, seed: int = DEFAULT_SEED, anchor: dt.datetime | None = None) -> Summary:
    """Plan and register ``reports`` synthetic reports, all or nothing; nothing when the demo's synthetic
    data is already there (any seed). Needs the demo agencies and users (``demo.seed.seed_demo``)."""
    if Report.objects.filter(import_key__startswith=KEY_PREFIX).exists():
        summary = present()
        summary.skipped = True
        return summary
    if reports <= 0:
        return Summary(0, 0, 0)
    anchor = (anchor or clock.now()).replace(second=0, microsecond=0)
    stories = Planner(seed=seed, anchor=anchor, regions=regions_load()).plan(reports)
    with transaction.atomic():
        actors: dict[str, User] = dict(seed_regional_police())
        for username in DEMO_UNITS:
            actors[username] = User.objects.get(username=username)
        # (time, story, order): one story's events keep their order; stories interleave in time
        events: list[tuple[dt.datetime, int, int, str, int]] = []
        for s in stories:
            events += [(rp.registered_at, s.index, k, "report", k) for k, rp in enumerate(s.reports)]
            events += [(sp.at, s.index, 100 + k, "state", k) for k, sp in enumerate(s.states)]
            if s.safe_contact is not None:
                events.append((s.safe_contact[0], s.index, 50, "contact", 0))
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        live = {s.index: _Live() for s in stories}
        for at, index, _, what, k in events:
            story = stories[index]
            with clock.frozen(at):
                if what == "report":
                    _register(story, k, actors, live[index])
                elif what == "state":
                    _change_state(story, story.states[k], actors, live[index])
                elif story.safe_contact is not None:
                    _safe_contact(story, story.safe_contact[1], actors, live[index])
    return present()
