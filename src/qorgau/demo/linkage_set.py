"""A labelled evaluation set for the person-matching engine (DESIGN §6, reference/names.md).

``generate(n_people, seed)`` makes synthetic people and, for each, 1–4 records of that person as
different agencies would have typed them. Every record carries its ground truth (``entity_id``), so
pairwise precision and recall of any matcher can be measured (``qorgau.demo.linkage_eval``;
``bench/linkage_accuracy.py`` runs Qorgau's engine, Splink and recordlinkage on the same set).
Everything is drawn from one seeded ``random.Random``: the same ``(n_people, seed)`` gives the
same records.

Names: the surnames and given names quoted in reference/names.md (the Ministry of Justice top
surnames, the BNS newborn rankings, the Джанбулатов/Жанбулат family, Момышұлы) plus synthetic
combinations of common Kazakh, Russian and Korean names; each Kazakh name carries its Kazakh and its
Russian spelling. No scraped list is used; every combination is fictitious.

Population (documented proportions; each is one constant below):

* ethnicity of a household: Kazakh 72 %, Russian/Ukrainian 22 %, Korean 6 % (Koreans
  oversampled — about 0.6 % of the country — to exercise the short surnames Ким, Ли, Цой);
* households: a single adult 38 %, a couple 22 %, a couple with 1–3 children 40 % (fewer when
  the children would be born after mid-2024); a wife takes the husband's surname
  (Ахметов/Ахметова) in 65 % of Kazakh, 85 % of Russian and 50 % of Korean couples;
* children share the surname and the patronymic and are born 1–6 years apart; 6 % of families
  with two or more children have twins (same birth date, different given names; half of the
  same-sex twins have consecutive IIN serials, so their valid IINs can be one edit apart); each
  son is named after his father with probability 12 % (Russian, Korean) or 3 % (Kazakh);
  a Kazakh family gives its children the father's given name as surname in 8 % of cases
  (Family Code art. 194(1));
* 4 % of single adults are namesakes of an adult of the same sex and ethnicity made shortly
  before (same surname and given name, half of the time the same father's name; another birth date
  and IIN);
* 20 % of Kazakhs with a Russian-style surname have dropped the suffix (art. 194(2)); their
  records show the bare form 60 % of the time (other Kazakhs' records 4 %: a clerk writing the
  root). 45 % of Kazakhs use the -ұлы/-қызы patronymic, the rest -ович/-овна;
* every person has an IIN (valid, unique, synthetic; ``core.iin.make``), 80 % a mobile number;
  25 % of couples have a home number, which members give instead of their own half of the time.

Records (per person 1: 40 %, 2: 30 %, 3: 20 %, 4: 10 %; shuffled into one arrival order), each
variation drawn independently:

* script: for Kazakhs Russian spelling 50 %, Kazakh spelling 28 %, Latin 22 %; for others
  Cyrillic 85 %, Latin 15 %. Latin schemes for Kazakh names: passport 40 % (from the Kazakh or
  the Russian spelling, half each), ICS-630-01 25 %, the 2021 diacritics alphabet 15 %,
  BGN/PCGN 1979 10 %, the 2017 apostrophe alphabet 7 %, the 2018 acute alphabet 3 %; for other
  names passport (2/3) or ICS. Passport spellings draw each letter's variant (ZH/J, KH/H, Y/I,
  YU/IU, YA/IA, Q/K, GH/G, NG/N, YE/E at the start, rarely AE for Ә) — the variants of names.md §4;
* a surname with «Дж» is written «Ж» in 30 % of records, and the suffixless form of such a name
  (Жанбулат) is written «Дж» in half of its Russian-spelled records (Джанбулатов / Жанбулат);
* patronymic: as the person uses it 55 %, the other style 10 %, none 35 % (Latin: present 25 %);
  -ұлы/-қызы as two words in 15 % of Kazakh-style patronymics;
* order: given name first in 12 % (Russian order «Имя Отчество Фамилия» when a patronymic is
  written);
* one typo (insertion, deletion, substitution or transposition, never in the first letter) in the
  surname 5 %, in the given name 5 %; the given name only as an initial 5 % (with the
  patronymic's initial 70 % of those, before the surname 25 %);
* IIN on the record 65 %; of those 4 % mistyped (one digit or an adjacent transposition; a wrong
  11th digit usually still passes the check digit) and 5 % typed with a space;
* birth date on the record 85 %; of those 3 % mistyped (one digit or day/month swapped);
* sex recorded 90 %; phone on the record 30 % (of people who have one), in varied formats.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from qorgau.core import iin as iin_rules

# Proportions ---------------------------------------------------------------------------------------

ETHNICITY = (("kz", 0.72), ("ru", 0.22), ("ko", 0.06))
HOUSEHOLD_SINGLE, HOUSEHOLD_COUPLE = 0.38, 0.22  # the rest: a couple with children
WIFE_TAKES_SURNAME = {"kz": 0.65, "ru": 0.85, "ko": 0.5}
TWINS = 0.06
SON_NAMED_AFTER_FATHER = {"kz": 0.03, "ru": 0.12, "ko": 0.12}
CHILD_SURNAME_FROM_FATHER_NAME = 0.08
NAMESAKE = 0.04
SUFFIX_DROPPED = 0.20
KAZAKH_PATRONYMIC = 0.45
HAS_PHONE = 0.80
SHARED_HOME_PHONE = 0.25
LAST_BIRTH = dt.date(2024, 6, 30)  # no one in the set is born later
RECORDS_PER_PERSON = ((1, 0.40), (2, 0.30), (3, 0.20), (4, 0.10))
KZ_SCRIPT = (("kz", 0.28), ("ru", 0.50), ("latin", 0.22))
OTHER_LATIN = 0.15
LATIN_SCHEMES = (("ics", 0.25), ("bgn", 0.10), ("2017", 0.07), ("2018", 0.03), ("2021", 0.15), ("passport", 0.40))
PATRONYMIC_OWN, PATRONYMIC_OTHER = 0.55, 0.10
LATIN_PATRONYMIC = 0.25
KZ_PATRONYMIC_TWO_WORDS = 0.15
SWAPPED = 0.12
TYPO_SURNAME = TYPO_GIVEN = 0.05
GIVEN_INITIAL = 0.05
IIN_PRESENT, IIN_MISTYPED = 0.65, 0.04
BIRTH_DATE_PRESENT, BIRTH_DATE_TYPO = 0.85, 0.03
SEX_RECORDED = 0.90
PHONE_ON_RECORD = 0.30

VARIATIONS = (
    "script_kz", "script_ru", "latin_ics", "latin_bgn", "latin_2017", "latin_2018", "latin_2021", "latin_passport",
    "suffix_dropped", "dzh_j", "patronymic_kz", "patronymic_kz_two_words", "patronymic_ru", "patronymic_none",
    "swapped", "typo_insert", "typo_delete", "typo_substitute", "typo_transpose", "given_initial",
    "iin_missing", "iin_mistyped", "birth_date_missing", "birth_date_typo", "sex_unknown", "phone",
)  # fmt: skip
HARD_NEGATIVES = ("spouse", "sibling", "twin", "father_son_same_name", "namesake", "shared_phone")

# Names ---------------------------------------------------------------------------------------------
# Kazakh surnames: (Russian spelling, Kazakh spelling, Kazakh form without the suffix). From the
# Ministry of Justice top list and the Джанбулатов family of names.md, plus a few synthetic ones.
KZ_SURNAMES = [
    ("Ахметов", "Ахметов", "Ахмет"), ("Омаров", "Омаров", "Омар"), ("Оспанов", "Оспанов", "Оспан"),
    ("Алиев", "Әлиев", "Әли"), ("Сулейменов", "Сүлейменов", "Сүлеймен"), ("Искаков", "Ысқақов", "Ысқақ"),
    ("Абдрахманов", "Әбдірахманов", "Әбдірахман"), ("Ибрагимов", "Ибраһимов", "Ибраһим"),
    ("Калиев", "Қалиев", "Қали"), ("Садыков", "Садықов", "Садық"), ("Ибраев", "Ыбыраев", "Ыбырай"),
    ("Смагулов", "Смағұлов", "Смағұл"), ("Абдуллаев", "Әбдуллаев", "Әбдулла"), ("Исаев", "Исаев", "Иса"),
    ("Султанов", "Сұлтанов", "Сұлтан"), ("Исмаилов", "Исмаилов", "Исмаил"), ("Нургалиев", "Нұрғалиев", "Нұрғали"),
    ("Каримов", "Кәрімов", "Кәрім"), ("Кусаинов", "Құсайынов", "Құсайын"), ("Серикбаев", "Серікбаев", "Серікбай"),
    ("Джанбулатов", "Жанбұлатов", "Жанбұлат"), ("Джандосов", "Жандосов", "Жандос"),
    ("Джангельдин", "Жангелдин", "Жангелді"), ("Джумабаев", "Жұмабаев", "Жұмабай"),
    ("Есенов", "Есенов", "Есен"), ("Тулегенов", "Төлегенов", "Төлеген"), ("Мукашев", "Мұқашев", "Мұқаш"),
    ("Байжанов", "Байжанов", "Байжан"), ("Жакупов", "Жақыпов", "Жақып"), ("Нурланов", "Нұрланов", "Нұрлан"),
    ("Кенжебаев", "Кенжебаев", "Кенжебай"), ("Сатпаев", "Сәтбаев", "Сәтбай"), ("Уалиханов", "Уәлиханов", "Уәлихан"),
    ("Бекмухамбетов", "Бекмұхамбетов", "Бекмұхамбет"), ("Толеубаев", "Төлеубаев", "Төлеубай"),
    ("Аманжолов", "Аманжолов", "Аманжол"), ("Габдуллин", "Ғабдуллин", "Ғабдолла"),
]  # fmt: skip
# Suffixless Kazakh surnames (same form for both sexes): (Russian, Kazakh).
KZ_BARE_SURNAMES = [("Серик", "Серік"), ("Амангельды", "Амангелді"), ("Болат", "Болат"), ("Марат", "Марат"),
                    ("Серикбай", "Серікбай"), ("Мурат", "Мұрат"), ("Жанбулат", "Жанбұлат")]  # fmt: skip
KZ_ULY_SURNAMES = [("Момышулы", "Момышұлы")]  # male only
RU_SURNAMES = ["Иванов", "Кузнецов", "Попов", "Смирнов", "Петров", "Соколов", "Васильев", "Павлов",
               "Семенов", "Морозов", "Волков", "Федоров", "Никитин", "Лебедев"]  # fmt: skip
RU_INVARIANT_SURNAMES = ["Бондаренко", "Шевченко", "Ткаченко"]
KO_SURNAMES = ["Ким", "Ли", "Цой", "Пак", "Тен", "Хегай", "Огай", "Югай"]

# Kazakh given names: (Kazakh spelling, Russian spelling).
KZ_MALE = [
    ("Әлихан", "Алихан"), ("Алдияр", "Алдияр"), ("Әмір", "Амир"), ("Омар", "Омар"), ("Алан", "Алан"),
    ("Айсұлтан", "Айсултан"), ("Мұхаммед", "Мухаммад"), ("Нұрислам", "Нурислам"), ("Хамза", "Хамза"), ("Әли", "Али"),
    ("Нұрсұлтан", "Нурсултан"), ("Бауыржан", "Бауржан"), ("Еркін", "Еркин"), ("Бекзат", "Бекзат"),
    ("Серік", "Серик"), ("Болат", "Болат"), ("Марат", "Марат"), ("Мұрат", "Мурат"), ("Ерлан", "Ерлан"),
    ("Нұрлан", "Нурлан"), ("Ержан", "Ержан"), ("Асқар", "Аскар"), ("Бақыт", "Бакыт"), ("Дәулет", "Даулет"),
    ("Ғалым", "Галым"), ("Қайрат", "Кайрат"), ("Талғат", "Талгат"), ("Мұхтар", "Мухтар"), ("Ерболат", "Ерболат"),
    ("Жандос", "Жандос"), ("Азамат", "Азамат"), ("Арман", "Арман"), ("Берік", "Берик"), ("Қанат", "Канат"),
    ("Самат", "Самат"), ("Тимур", "Тимур"), ("Дархан", "Дархан"), ("Асайын", "Асаин"), ("Жанболат", "Жанболат"),
    ("Ерасыл", "Ерасыл"), ("Мейірбек", "Мейирбек"), ("Нұрбол", "Нурбол"), ("Санжар", "Санжар"),
]  # fmt: skip
KZ_FEMALE = [
    ("Мәдина", "Мадина"), ("Айлин", "Айлин"), ("Айша", "Айша"), ("Асылым", "Асылым"), ("Томирис", "Томирис"),
    ("Сафия", "Сафия"), ("Айым", "Айым"), ("Әмина", "Амина"), ("Аяла", "Аяла"), ("Жұлдыз", "Жулдыз"),
    ("Айгерім", "Айгерим"), ("Гүлнар", "Гульнар"), ("Сәуле", "Сауле"), ("Әсел", "Асель"), ("Жанар", "Жанар"),
    ("Динара", "Динара"), ("Салтанат", "Салтанат"), ("Ақерке", "Акерке"), ("Мөлдір", "Молдир"),
    ("Шынар", "Шынар"), ("Ләззат", "Ляззат"), ("Қарлығаш", "Карлыгаш"), ("Ботагөз", "Ботагоз"),
    ("Нұргүл", "Нургуль"), ("Гаухар", "Гаухар"), ("Назерке", "Назерке"), ("Жансая", "Жансая"),
    ("Айнұр", "Айнур"), ("Меруерт", "Меруерт"), ("Балжан", "Балжан"), ("Перизат", "Перизат"), ("Ұлжан", "Улжан"),
]  # fmt: skip
RU_MALE = ["Александр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Иван", "Николай", "Владимир", "Евгений",
           "Виктор", "Олег", "Игорь", "Михаил", "Павел", "Роман", "Денис", "Максим", "Юрий"]  # fmt: skip
RU_FEMALE = ["Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария", "Екатерина",
             "Юлия", "Людмила", "Галина", "Оксана", "Марина", "Виктория", "Анастасия"]  # fmt: skip

# Transliteration -----------------------------------------------------------------------------------
_BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "gh", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u",
    "һ": "h", "і": "i",
}  # fmt: skip
# names.md §4.3 (ICS-630-01, ASCII), §4.2 (BGN/PCGN 1979), §4.1 (2017 apostrophe, 2018 acute,
# 2021 diacritics; letters the sources do not list keep their ICS spelling).
SCHEMES: dict[str, dict[str, str]] = {
    "ics": dict(_BASE),
    "bgn": {**_BASE, "ә": "ä", "и": "ī", "у": "ū", "ү": "ü", "ө": "ö", "э": "ė", "ь": "’", "ъ": "”"},
    "2017": {**_BASE, "ә": "a'", "ғ": "g'", "ң": "n'", "ө": "o'", "ү": "u'", "и": "i'", "й": "i'", "у": "y'",
             "ш": "s'", "ч": "c'", "х": "h", "ж": "j", "ю": "i'y'", "я": "i'a", "ё": "i'o", "щ": "s's'"},
    "2018": {**_BASE, "ә": "á", "ғ": "ǵ", "ң": "ń", "ө": "ó", "ү": "ú", "у": "ý", "и": "ı", "й": "ı", "ж": "j",
             "х": "h", "ю": "ıý", "я": "ıa", "ё": "ıo", "щ": "sh"},
    "2021": {**_BASE, "ә": "ä", "ғ": "ğ", "ң": "ñ", "ө": "ö", "ү": "ü", "ұ": "ū", "ш": "ş", "ж": "j", "й": "i",
             "і": "ı", "х": "h", "ю": "iu", "я": "ia", "ё": "io", "щ": "şş"},
}  # fmt: skip
# Passport spellings (names.md §4.4): each letter with its variants, one drawn per record.
PASSPORT_VARIANTS = {
    "ж": ("zh", "j"), "х": ("kh", "h"), "ы": ("y", "i"), "й": ("y", "i"), "ю": ("yu", "iu"), "я": ("ya", "ia"),
    "қ": ("k", "q"), "ғ": ("g", "gh"), "ң": ("n", "ng"), "ә": ("a", "a", "a", "ae"), "ү": ("u", "u", "ü"),
    "ұ": ("u",), "і": ("i",), "ө": ("o",), "ц": ("ts",), "щ": ("shch",),
}  # fmt: skip
_RU_LETTERS = "абвгдежзийклмнопрстуфхцчшщыэюя"
_LAT_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def transliterate(word: str, scheme: str, rng: random.Random | None = None) -> str:
    """A Cyrillic word in one Latin scheme; passport spellings draw their variants from ``rng``."""
    out = []
    if scheme == "passport":
        rng = rng or random.Random(0)  # noqa: S311 - test data
        choice = {k: rng.choice(v) for k, v in PASSPORT_VARIANTS.items()}
        table = {**_BASE, **choice}
    else:
        table = SCHEMES[scheme]
    for i, ch in enumerate(word):
        low = ch.lower()
        piece = table.get(low, low)
        if scheme == "passport" and i == 0 and low == "е" and rng is not None and rng.random() < 0.5:
            piece = "ye"  # Yerlan / Erlan
        out.append(piece.capitalize() if ch.isupper() else piece)
    text = "".join(out)
    return text.upper() if scheme == "passport" else text


# People --------------------------------------------------------------------------------------------


@dataclass
class Person:
    entity_id: int
    ethnicity: str
    sex: str
    surname: tuple[str, str, str]  # (Russian spelling, Kazakh spelling, without suffix), in this sex's form
    suffix_dropped: bool
    given: tuple[str, str]  # (Kazakh, Russian) spelling
    father: tuple[str, str] | None  # father's given name (Kazakh, Russian), for the patronymic
    kazakh_patronymic: bool
    birth_date: dt.date
    iin: str
    phone: str
    home_phone: str = ""


@dataclass(frozen=True)
class LabelledRecord:
    record_id: int
    entity_id: int  # ground truth: records of one person share it
    full_name: str
    iin: str = ""
    birth_date: dt.date | None = None
    sex: str = "U"
    phone: str = ""
    variations: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class Relation:
    """Two different people that a matcher could mistake for one (a hard negative)."""

    a: int
    b: int
    kind: str  # one of HARD_NEGATIVES


@dataclass
class LabelledSet:
    records: list[LabelledRecord]
    relations: list[Relation]
    people: list[Person]  # ground truth, indexed by entity_id


def _pick(rng: random.Random, weighted: Iterable[tuple[object, float]]) -> object:
    items = list(weighted)
    return rng.choices([v for v, _ in items], weights=[w for _, w in items])[0]


def _female(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев", "ин", "ёв")) else surname


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data
        self.people: list[Person] = []
        self.relations: list[Relation] = []
        self.iins: set[str] = set()
        self.phones: set[str] = set()

    # attributes ------------------------------------------------------------------------------------
    def birth_date(self, lo: int, hi: int) -> dt.date:
        start = dt.date(lo, 1, 1).toordinal()
        end = dt.date(hi, 12, 31).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, end))

    def iin(self, birth_date: dt.date, sex: str, near: str = "") -> str:
        if near:  # a twin: the next serial (its IIN can then differ in one digit only)
            serial = int(near[7:11])
            for step in (1, 2, 3):
                value = iin_rules.make(birth_date, sex, (serial + step) % 10000)
                if value and value not in self.iins:
                    self.iins.add(value)
                    return value
        while True:
            value = iin_rules.make(birth_date, sex, self.rng.randint(0, 9999))
            if value and value not in self.iins:
                self.iins.add(value)
                return value

    def phone(self) -> str:
        while True:
            value = f"7{self.rng.choice(('01', '02', '05', '07', '08', '47', '71', '75', '77'))}{self.rng.randint(0, 9999999):07d}"
            if value not in self.phones:
                self.phones.add(value)
                return value

    def surname(self, ethnicity: str, sex: str) -> tuple[tuple[str, str, str], bool]:
        """(Russian, Kazakh, bare) in the form for ``sex``, and whether the suffix was dropped."""
        rng = self.rng
        if ethnicity == "kz":
            r = rng.random()
            if r < 0.78:
                ru, kz, bare = rng.choice(KZ_SURNAMES)
                if sex == "F":
                    ru, kz = _female(ru), _female(kz)
                return (ru, kz, bare), rng.random() < SUFFIX_DROPPED
            if r < 0.995 or sex == "F":
                ru, kz = rng.choice(KZ_BARE_SURNAMES)
                return (ru, kz, kz), False
            ru, kz = rng.choice(KZ_ULY_SURNAMES)
            return (ru, kz, kz), False
        if ethnicity == "ru":
            if rng.random() < 0.85:
                ru = rng.choice(RU_SURNAMES)
                ru = _female(ru) if sex == "F" else ru
                return (ru, ru, ru), False
            ru = rng.choice(RU_INVARIANT_SURNAMES)
            return (ru, ru, ru), False
        ko = rng.choice(KO_SURNAMES)
        return (ko, ko, ko), False

    def given(self, ethnicity: str, sex: str) -> tuple[str, str]:
        if ethnicity == "kz":
            return self.rng.choice(KZ_MALE if sex == "M" else KZ_FEMALE)
        name = self.rng.choice(RU_MALE if sex == "M" else RU_FEMALE)
        return (name, name)

    def new_person(
        self,
        ethnicity: str,
        sex: str,
        *,
        birth_date: dt.date,
        surname: tuple[tuple[str, str, str], bool] | None = None,
        given: tuple[str, str] | None = None,
        father: tuple[str, str] | None = None,
        home_phone: str = "",
        iin_near: str = "",
    ) -> Person:
        rng = self.rng
        (sur, dropped) = surname or self.surname(ethnicity, sex)
        person = Person(
            entity_id=len(self.people),
            ethnicity=ethnicity,
            sex=sex,
            surname=sur,
            suffix_dropped=dropped,
            given=given or self.given(ethnicity, sex),
            father=father if father is not None else self.given(ethnicity, "M"),
            kazakh_patronymic=ethnicity == "kz" and rng.random() < KAZAKH_PATRONYMIC,
            birth_date=birth_date,
            iin=self.iin(birth_date, sex, iin_near),
            phone=self.phone() if rng.random() < HAS_PHONE else "",
            home_phone=home_phone,
        )
        self.people.append(person)
        return person

    def relate(self, a: Person, b: Person, kind: str) -> None:
        self.relations.append(Relation(a.entity_id, b.entity_id, kind))

    # households ------------------------------------------------------------------------------------
    def household(self) -> None:
        rng = self.rng
        eth = str(_pick(rng, ETHNICITY))
        r = rng.random()
        if r < HOUSEHOLD_SINGLE:
            sex = rng.choice("MF")
            adults = [p for p in self.people[-400:] if p.birth_date.year < 2006 and p.sex == sex and p.ethnicity == eth]
            if adults and rng.random() < NAMESAKE:
                same = rng.choice(adults)  # a namesake: same name, another person
                person = self.new_person(
                    eth,
                    sex,
                    birth_date=self.birth_date(1955, 2004),
                    surname=(same.surname, same.suffix_dropped),
                    given=same.given,
                    father=same.father if rng.random() < 0.5 else None,
                )
                if person.birth_date != same.birth_date:
                    self.relate(same, person, "namesake")
            else:
                self.new_person(eth, sex, birth_date=self.birth_date(1955, 2004))
            return
        home = self.phone() if rng.random() < SHARED_HOME_PHONE else ""
        husband_born = self.birth_date(1955, 1998)
        husband = self.new_person(eth, "M", birth_date=husband_born, home_phone=home)
        wife_born = husband_born + dt.timedelta(days=rng.randint(-3 * 365, 8 * 365))
        if rng.random() < WIFE_TAKES_SURNAME[eth]:
            ru, kz, bare = husband.surname
            wife_surname = ((_female(ru), _female(kz), bare), husband.suffix_dropped)
            wife = self.new_person(eth, "F", birth_date=wife_born, surname=wife_surname, home_phone=home)
        else:
            wife = self.new_person(eth, "F", birth_date=wife_born, home_phone=home)
        self.relate(husband, wife, "spouse")
        if home:
            self.relate(husband, wife, "shared_phone")
        if r < HOUSEHOLD_SINGLE + HOUSEHOLD_COUPLE:
            return
        n_children = rng.choice((1, 1, 2, 2, 3))
        first = max(wife_born, husband_born) + dt.timedelta(days=rng.randint(19 * 365, 30 * 365))
        if first > LAST_BIRTH:
            return  # too young for children
        ru, kz, bare = husband.surname
        if eth == "kz" and rng.random() < CHILD_SURNAME_FROM_FATHER_NAME:
            child_sur: tuple[str, str, str] = (husband.given[1], husband.given[0], husband.given[0])
            child_dropped = False
        else:
            child_sur, child_dropped = husband.surname, husband.suffix_dropped
        children: list[Person] = []
        twins = n_children >= 2 and rng.random() < TWINS
        born = first
        for i in range(n_children):
            sex = rng.choice("MF")
            sur = child_sur if sex == "M" else (_female(child_sur[0]), _female(child_sur[1]), child_sur[2])
            given = None
            if sex == "M" and rng.random() < SON_NAMED_AFTER_FATHER[eth]:
                given = husband.given
            if twins and i == 1:
                prev = children[0]
                while True:  # the twin has another given name
                    given = self.given(eth, sex)
                    if given != prev.given:
                        break
                near = prev.iin if sex == prev.sex and rng.random() < 0.5 else ""
                child = self.new_person(
                    eth, sex, birth_date=prev.birth_date, surname=(sur, child_dropped), given=given,
                    father=husband.given, home_phone=home, iin_near=near,
                )  # fmt: skip
                self.relate(prev, child, "twin")
            else:
                if i:
                    born = born + dt.timedelta(days=rng.randint(400, 6 * 365))
                    if born > LAST_BIRTH:
                        break
                if any(c.given == given for c in children):
                    given = None
                child = self.new_person(
                    eth, sex, birth_date=born, surname=(sur, child_dropped), given=given,
                    father=husband.given, home_phone=home,
                )  # fmt: skip
                while any(c.given == child.given for c in children):
                    child.given = self.given(eth, sex)
                if child.given == husband.given:
                    self.relate(husband, child, "father_son_same_name")
            for other in children:
                if not (twins and i == 1 and other is children[0]):
                    self.relate(other, child, "sibling")
            children.append(child)

    # records ---------------------------------------------------------------------------------------
    def records_of(self, person: Person, next_id: int) -> list[LabelledRecord]:
        n = int(_pick(self.rng, RECORDS_PER_PERSON))  # type: ignore[call-overload]
        return [self.record(person, next_id + i) for i in range(n)]

    def record(self, p: Person, record_id: int) -> LabelledRecord:
        rng = self.rng
        tags: set[str] = set()
        other_script = "latin" if p.ethnicity != "kz" and rng.random() < OTHER_LATIN else "ru"
        script = str(_pick(rng, KZ_SCRIPT)) if p.ethnicity == "kz" else other_script
        scheme = ""
        if script == "latin":  # the Kazakh alphabets are for Kazakh names; others get passport or ICS
            scheme = (
                str(_pick(rng, LATIN_SCHEMES)) if p.ethnicity == "kz" else rng.choice(("passport", "passport", "ics"))
            )
        # Cyrillic words in the chosen spelling (Latin is transliterated from the Kazakh spelling,
        # or from the Russian one for non-Kazakhs and for passports).
        kazakh_spelling = script == "kz" or (script == "latin" and p.ethnicity == "kz" and scheme != "passport")
        if p.ethnicity == "kz" and script == "latin" and scheme == "passport" and rng.random() < 0.5:
            kazakh_spelling = True
        ru_sur, kz_sur, bare = p.surname
        surname = kz_sur if kazakh_spelling else ru_sur
        dropped_form = bare
        if not kazakh_spelling and p.ethnicity == "kz":
            dropped_form = _russian_spelling(bare)
        if bare != kz_sur and p.ethnicity == "kz":
            use_bare = rng.random() < (0.6 if p.suffix_dropped else 0.04)
            if use_bare:
                surname = dropped_form
                tags.add("suffix_dropped")
        if surname.startswith("Дж") and rng.random() < 0.3:
            surname = "Ж" + surname[2:]
            tags.add("dzh_j")
        elif surname.startswith("Ж") and not kazakh_spelling and ru_sur.startswith("Дж") and rng.random() < 0.5:
            surname = "Дж" + surname[1:]
            tags.add("dzh_j")
        given = p.given[0] if kazakh_spelling else p.given[1]
        # patronymic
        patronymic = ""
        style = ""
        want = LATIN_PATRONYMIC if script == "latin" else (PATRONYMIC_OWN + PATRONYMIC_OTHER)
        if p.father and rng.random() < want:
            own = "kz" if p.kazakh_patronymic else "ru"
            other = "ru" if own == "kz" else ("kz" if p.ethnicity == "kz" else "ru")
            style = own if rng.random() < PATRONYMIC_OWN / (PATRONYMIC_OWN + PATRONYMIC_OTHER) else other
            if style == "kz":
                base = p.father[0] if kazakh_spelling else p.father[1]
                ending = ("ұлы" if p.sex == "M" else "қызы") if kazakh_spelling else ("улы" if p.sex == "M" else "кызы")
                if rng.random() < KZ_PATRONYMIC_TWO_WORDS:
                    patronymic = f"{base} {ending}"
                    tags.add("patronymic_kz_two_words")
                else:
                    patronymic = base + ending
                tags.add("patronymic_kz")
            else:
                patronymic = _russian_patronymic(p.father[1], p.sex)
                tags.add("patronymic_ru")
        else:
            tags.add("patronymic_none")
        # typos and initials work on the written (Cyrillic) form; Latin is transliterated afterwards
        if rng.random() < TYPO_SURNAME:
            surname, kind = _typo(rng, surname, _RU_LETTERS)
            tags.add(f"typo_{kind}")
        initial = rng.random() < GIVEN_INITIAL
        if not initial and rng.random() < TYPO_GIVEN:
            given, kind = _typo(rng, given, _RU_LETTERS)
            tags.add(f"typo_{kind}")
        if script == "latin":
            tags.add(f"latin_{scheme}")
            surname = transliterate(surname, scheme, rng)
            given = transliterate(given, scheme, rng)
            patronymic = " ".join(transliterate(w, scheme, rng) for w in patronymic.split())
        else:
            tags.add(f"script_{'kz' if kazakh_spelling else 'ru'}")
        if initial:
            tags.add("given_initial")
            given_text = given[0].upper() + "."
            if patronymic and rng.random() < 0.7:
                given_text += patronymic[0].upper() + "."
                patronymic = ""
            words = [surname, given_text] if rng.random() < 0.75 else [given_text, surname]
        elif rng.random() < SWAPPED:
            tags.add("swapped")
            words = [given, patronymic, surname] if patronymic else [given, surname]
        else:
            words = [surname, given, patronymic]
        full_name = " ".join(w for w in words if w)
        # identifiers
        iin = ""
        if rng.random() < IIN_PRESENT:
            iin = p.iin
            if rng.random() < IIN_MISTYPED:
                iin = _iin_typo(rng, iin)
                tags.add("iin_mistyped")
            if rng.random() < 0.05:
                iin = f"{iin[:6]} {iin[6:]}"  # typed with a space
        else:
            tags.add("iin_missing")
        birth: dt.date | None = None
        if rng.random() < BIRTH_DATE_PRESENT:
            birth = p.birth_date
            if rng.random() < BIRTH_DATE_TYPO:
                birth = _date_typo(rng, birth)
                tags.add("birth_date_typo")
        else:
            tags.add("birth_date_missing")
        sex = p.sex
        if rng.random() > SEX_RECORDED:
            sex = "U"
            tags.add("sex_unknown")
        phone = ""
        number = p.home_phone if p.home_phone and (not p.phone or rng.random() < 0.5) else p.phone
        if number and rng.random() < PHONE_ON_RECORD:
            phone = _phone_format(rng, number)
            tags.add("phone")
        return LabelledRecord(record_id, p.entity_id, full_name, iin, birth, sex, phone, frozenset(tags))


_RU_FOLD = str.maketrans({"ә": "а", "ө": "о", "ү": "у", "ұ": "у", "қ": "к", "ң": "н", "ғ": "г", "һ": "х", "і": "и",
                          "Ә": "А", "Ө": "О", "Ү": "У", "Ұ": "У", "Қ": "К", "Ң": "Н", "Ғ": "Г", "Һ": "Х", "І": "И"})  # fmt: skip


def _russian_spelling(kazakh: str) -> str:
    """The Russian rendering of a Kazakh word by the onomastics instruction (names.md §3.1)."""
    text = kazakh.replace("йы", "и").replace("йі", "и")
    text = text.translate(_RU_FOLD)
    if text.endswith("и") and kazakh.endswith("і"):  # Амангелді → Амангельды
        text = text[:-1] + "ы"
    return text


_IRREGULAR_PATRONYMIC = {"Павел": "Павлов", "Михаил": "Михайлов", "Евгений": "Евгеньев", "Юрий": "Юрьев"}


def _russian_patronymic(father_ru: str, sex: str) -> str:
    if father_ru in _IRREGULAR_PATRONYMIC:
        stem = _IRREGULAR_PATRONYMIC[father_ru]
        return stem + ("ич" if sex == "M" else "на")
    if father_ru.endswith("ь"):  # Игорь → Игоревич
        return father_ru[:-1] + ("евич" if sex == "M" else "евна")
    if father_ru.endswith(("й", "и")):
        stem = father_ru[:-1] if father_ru.endswith("й") else father_ru
        return stem + ("евич" if sex == "M" else "евна")
    if father_ru.endswith(("а", "я")):
        return father_ru[:-1] + ("ич" if sex == "M" else "ична")
    return father_ru + ("ович" if sex == "M" else "овна")


def _typo(rng: random.Random, word: str, letters: str) -> tuple[str, str]:
    """One keyboard slip in ``word`` (kept at least two letters long)."""
    if any("a" <= c.lower() <= "z" for c in word):
        letters = _LAT_LETTERS
    n = len(word)
    kinds = ["insert", "substitute"] + (["delete", "transpose"] if n > 3 else [])
    kind = rng.choice(kinds)
    i = rng.randrange(1, n) if n > 1 else 0  # the first letter is rarely mistyped
    if kind == "insert":
        return word[:i] + rng.choice(letters) + word[i:], kind
    if kind == "delete":
        return word[:i] + word[i + 1 :], kind
    if kind == "transpose":
        i = min(i, n - 2)
        if word[i] == word[i + 1]:
            return word[:i] + rng.choice(letters) + word[i + 1 :], "substitute"
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :], kind
    new = rng.choice([c for c in letters if c != word[i].lower()])
    return word[:i] + new + word[i + 1 :], kind


def _iin_typo(rng: random.Random, iin: str) -> str:
    while True:
        i = rng.randrange(11)
        if rng.random() < 0.3 and iin[i] != iin[i + 1]:
            return iin[:i] + iin[i + 1] + iin[i] + iin[i + 2 :]
        j = rng.randrange(12)
        digit = rng.choice([d for d in "0123456789" if d != iin[j]])
        return iin[:j] + digit + iin[j + 1 :]


def _date_typo(rng: random.Random, date: dt.date) -> dt.date:
    for _ in range(50):
        if rng.random() < 0.25 and date.day <= 12 and date.day != date.month:
            return date.replace(month=date.day, day=date.month)
        text = date.strftime("%Y%m%d")
        i = rng.choice((2, 3, 4, 5, 6, 7))
        text = text[:i] + rng.choice([d for d in "0123456789" if d != text[i]]) + text[i + 1 :]
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
    return date + dt.timedelta(days=1)


def _phone_format(rng: random.Random, number: str) -> str:
    n = number
    return rng.choice(
        (
            f"+7 {n[:3]} {n[3:6]} {n[6:8]} {n[8:]}",
            f"8{n}",
            f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}",
            f"+7{n}",
        )
    )


def generate_set(n_people: int, seed: int) -> LabelledSet:
    """The people, their records (shuffled into arrival order) and the hard-negative relations."""
    b = _Builder(seed)
    while len(b.people) < n_people:
        b.household()
    people = b.people[:n_people]
    records: list[LabelledRecord] = []
    for person in people:
        records.extend(b.records_of(person, 0))
    b.rng.shuffle(records)
    records = [
        LabelledRecord(i, r.entity_id, r.full_name, r.iin, r.birth_date, r.sex, r.phone, r.variations)
        for i, r in enumerate(records)
    ]
    relations = [rel for rel in b.relations if rel.a < n_people and rel.b < n_people]
    return LabelledSet(records, relations, people)


def generate(n_people: int, seed: int) -> list[LabelledRecord]:
    """``n_people`` synthetic people, each with 1–4 labelled records, in a seeded shuffled order."""
    return generate_set(n_people, seed).records


def true_pairs(records: Iterable[LabelledRecord]) -> set[frozenset[int]]:
    """Every pair of record ids that belong to the same person."""
    by_entity: dict[int, list[int]] = defaultdict(list)
    for r in records:
        by_entity[r.entity_id].append(r.record_id)
    pairs: set[frozenset[int]] = set()
    for ids in by_entity.values():
        for i, a in enumerate(ids):
            for b_ in ids[i + 1 :]:
                pairs.add(frozenset((a, b_)))
    return pairs
