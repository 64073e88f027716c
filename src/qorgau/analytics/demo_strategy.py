"""Demo data of the national strategy: eight measures across the areas, their financing 2024–2026
(national and a few regions), six campaigns and five NGO grants — fictitious figures of a plausible
size, entered through the services (so audited) by the demo analyst.

``strategy_demo(actor)`` is idempotent: a measure whose code exists is kept, and its lines too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from qorgau.accounts.models import User
from qorgau.analytics import selectors as outcomes
from qorgau.analytics import services_strategy as services
from qorgau.analytics.filters import Filters
from qorgau.analytics.indicators import INDICATORS
from qorgau.analytics.models import Campaign, Financing, NgoGrant, StrategyMeasure
from qorgau.analytics.selectors_strategy import headline
from qorgau.core import clock

MLN = Decimal(1_000_000)

# code, area, indicator, kk, ru, en, baseline, target, target year, responsible body
MEASURES = [
    ("awareness-150", "education", "reports",
     "150 сенім телефоны және қорғалу құқығы туралы хабардар ету",
     "Информирование о телефоне доверия 150 и праве на защиту",
     "Awareness of the 150 helpline and the right to protection",
     60.0, 90.0, 2028, "Министерство культуры и информации"),
    ("school-lessons", "prevention", "repeat_rate",
     "Мектептерде салауатты қарым-қатынас және зорлық-зомбылықсыз өмір туралы сабақтар",
     "Уроки о здоровых отношениях и ненасилии в школах",
     "Lessons on healthy relationships and non-violence in schools",
     30.0, 20.0, 2030, "Министерство просвещения"),
    ("police-orders", "protection", "orders",
     "Әрбір негізді шақыру бойынша қорғау нұсқамаларын беру",
     "Выдача защитных предписаний по каждому обоснованному вызову",
     "Protective orders issued on every substantiated call-out",
     40.0, 60.0, 2027, "Министерство внутренних дел"),
    ("first-contact", "protection", "first_contact_hours",
     "Зардап шеккен әйелмен 24 сағат ішінде алғашқы байланыс",
     "Первый контакт с пострадавшей в течение 24 часов",
     "First contact with the victim within 24 hours",
     48.0, 24.0, 2027, "Министерство внутренних дел"),
    ("risk-assessment", "justice", "deaths",
     "Әрбір іс бойынша өлім қаупін бағалау",
     "Оценка риска летального исхода по каждому делу",
     "Lethality risk assessment in every case",
     0.5, 0.25, 2030, "Генеральная прокуратура"),
    ("shelter-beds", "support", "beds_per_100k",
     "Әр өңірде баспанасы бар дағдарыс орталықтары",
     "Кризисные центры с приютом в каждом регионе",
     "Crisis centres with shelter beds in every region",
     3.0, 5.0, 2029, "Министерство труда и социальной защиты населения"),
    ("offender-programmes", "justice", "programme_completions",
     "Зорлық-зомбылық жасаған адамдарға арналған түзету бағдарламалары",
     "Коррекционные программы для лиц, совершивших насилие",
     "Correction programmes for perpetrators",
     500.0, 1500.0, 2028, "Министерство внутренних дел"),
    ("staff-training", "coordination", "training_coverage",
     "Полиция, денсаулық сақтау және әлеуметтік сала мамандарын оқыту",
     "Обучение специалистов полиции, здравоохранения и социальной сферы",
     "Training of police, health and social-work staff",
     35.0, 90.0, 2027, "Министерство здравоохранения"),
]  # fmt: skip

# national budget per year, millions of tenge
NATIONAL = {
    "awareness-150": (120, 150, 180),
    "school-lessons": (80, 110, 140),
    "police-orders": (40, 45, 50),
    "first-contact": (60, 75, 90),
    "risk-assessment": (35, 40, 45),
    "shelter-beds": (300, 380, 450),
    "offender-programmes": (90, 120, 150),
    "staff-training": (70, 85, 100),
}
# (measure, region, budget per year in millions): regional lines of the measures spent on the ground
REGIONAL = [
    ("shelter-beds", "KZ-75", (60, 70, 80)),
    ("shelter-beds", "KZ-71", (50, 60, 70)),
    ("shelter-beds", "KZ-61", (40, 55, 65)),
    ("shelter-beds", "KZ-10", (25, 35, 45)),
    ("shelter-beds", "KZ-62", (15, 20, 30)),
    ("first-contact", "KZ-79", (12, 14, 16)),
    ("first-contact", "KZ-35", (10, 12, 14)),
    ("school-lessons", "KZ-79", (8, 12, 15)),
    ("offender-programmes", "KZ-61", (9, 11, 13)),
]
YEARS = (2024, 2025, 2026)
# the share of the budget spent, per year; 2025's awareness campaign ran over
SPENT_SHARE = {2024: Decimal("0.96"), 2025: Decimal("0.91")}
OVERSPENT = ("awareness-150", 2025, Decimal("1.08"))

# title, channel, region, start, end, reach, cost in millions, measure
CAMPAIGNS = [
    ("«Сен жалғыз емессің» / «Ты не одна»", "television", "", date(2025, 3, 1), date(2025, 5, 31), 2_400_000, "45", "awareness-150"),
    ("Неделя телефона 150 в социальных сетях", "online", "", date(2026, 3, 2), date(2026, 3, 8), 3_100_000, "12", "awareness-150"),
    ("Уроки ненасилия: пилот в школах Шымкента", "schools", "KZ-79", date(2025, 9, 1), date(2026, 5, 25), 38_000, "6.5", "school-lessons"),
    ("Выездные встречи в сёлах Туркестанской области", "outreach", "KZ-61", date(2026, 4, 1), None, 21_500, "4.2", "awareness-150"),
    ("Плакаты в общественном транспорте Алматы", "print", "KZ-75", date(2024, 11, 25), date(2024, 12, 10), 900_000, "3.8", ""),
    ("Работодатели против насилия", "workplaces", "KZ-35", date(2026, 2, 1), date(2026, 10, 31), 14_000, "1.9", ""),
]  # fmt: skip

# grantee, purpose, region, amount in millions, awarded, ends, measure
GRANTS = [
    ("ОФ «Кризисный центр «Безопасный дом»»", "Содержание приюта на 30 мест", "KZ-75", "48", date(2025, 2, 1), date(2026, 12, 31), "shelter-beds"),
    ("ОЮЛ «Союз кризисных центров»", "Обучение персонала кризисных центров", "", "25", date(2025, 4, 15), date(2026, 4, 14), "staff-training"),
    ("ОФ «Центр гендерных исследований»", "Независимый мониторинг исполнения стратегии", "", "12", date(2026, 1, 20), date(2026, 12, 31), ""),
    ("ОФ «Жаңа өмір»", "Коррекционная программа в Туркестанской области", "KZ-61", "9.5", date(2026, 3, 1), date(2027, 2, 28), "offender-programmes"),
    ("ОО «Ана үйі»", "Приют для женщин с детьми в Семее", "KZ-10", "15", date(2024, 6, 1), date(2025, 5, 31), "shelter-beds"),
]  # fmt: skip


def _spent(code: str, year: int, budget: Decimal, today: date) -> Decimal:
    if (code, year) == OVERSPENT[:2]:
        share = OVERSPENT[2]
    elif year in SPENT_SHARE:
        share = SPENT_SHARE[year]
    elif year == today.year:
        # Spending catches up with the months, some measures faster than others.
        pace = Decimal(70 + 7 * (sum(map(ord, code)) % 6)) / 100
        share = Decimal(today.month - 1) / 12 * pace
    else:
        share = Decimal(0)
    return (budget * share).quantize(Decimal("0.01"))


def _financing(actor: User, measure: StrategyMeasure, region: str, budgets: tuple[int, ...], today: date) -> int:
    made = 0
    for year, millions in zip(YEARS, budgets, strict=True):
        if Financing.objects.filter(measure=measure, region_id=region or None, year=year).exists():
            continue
        budget = Decimal(millions) * MLN
        services.financing_create(
            actor=actor,
            measure_id=measure.pk,
            data=services.FinancingInput(
                year=year,
                budget=budget,
                spent=_spent(measure.code, year, budget, today),
                region=region,
                source="республиканский бюджет" if not region else "местный бюджет",
            ),
        )
        made += 1
    return made


def _baselines(actor: User) -> dict[str, float]:
    """The demo's own national figures of 2024, the strategy's first year (from the tallies)."""
    codes = sorted({m[2] for m in MEASURES})
    view = outcomes.dashboard_view(
        actor, Filters(start=date(2024, 1, 1), end=date(2024, 12, 1)), codes, audit_action=None
    )
    out = {}
    for code in codes:
        figure = headline(INDICATORS[code], view.total.cells.get(code))
        if figure:  # a hidden or zero figure makes no baseline: the written one stays
            out[code] = round(figure, 1)
    return out


def strategy_demo(actor: User) -> str:
    """Enter the demo strategy as ``actor`` (an analyst); returns the line the demo command prints.

    Run it after the tallies are refreshed: baselines are then the demo data's own 2024 figures and
    targets keep the written ratio to them, so the overview's progress reads sensibly.
    """
    today = clock.now().date()
    derived = _baselines(actor)
    measures: dict[str, StrategyMeasure] = {}
    for code, area, indicator, kk, ru, en, baseline, target, year, responsible in MEASURES:
        if indicator in derived:
            baseline, target = derived[indicator], round(derived[indicator] * target / baseline, 1)
        found = StrategyMeasure.objects.filter(code=code).first()
        measures[code] = found or services.measure_create(
            actor=actor,
            data=services.MeasureInput(
                code=code,
                area=area,
                indicator=indicator,
                name_kk=kk,
                name_ru=ru,
                name_en=en,
                starts_on=date(2024, 1, 1),
                ends_on=date(year, 12, 31),
                baseline=baseline,
                target=target,
                target_year=year,
                responsible=responsible,
            ),
        )
    for code, budgets in NATIONAL.items():
        _financing(actor, measures[code], "", budgets, today)
    for code, region, budgets in REGIONAL:
        _financing(actor, measures[code], region, budgets, today)
    for title, channel, region, start, end, reach, cost, code in CAMPAIGNS:
        if not Campaign.objects.filter(title=title).exists():
            services.campaign_create(
                actor=actor,
                data=services.CampaignInput(
                    title=title,
                    channel=channel,
                    started_on=start,
                    ended_on=end,
                    reach=reach,
                    cost=Decimal(cost) * MLN,
                    region=region,
                    measure_id=measures[code].pk if code else None,
                ),
            )
    for grantee, purpose, region, amount, awarded, ends, code in GRANTS:
        if not NgoGrant.objects.filter(grantee=grantee, awarded_on=awarded).exists():
            services.grant_create(
                actor=actor,
                data=services.GrantInput(
                    grantee=grantee,
                    purpose=purpose,
                    amount=Decimal(amount) * MLN,
                    awarded_on=awarded,
                    ends_on=ends,
                    region=region,
                    measure_id=measures[code].pk if code else None,
                ),
            )
    return (
        f"Strategy: {StrategyMeasure.objects.count()} measures, {Financing.objects.count()} financing lines, "
        f"{Campaign.objects.count()} campaigns, {NgoGrant.objects.count()} NGO grants"
    )
