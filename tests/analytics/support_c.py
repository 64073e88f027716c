"""Helpers of the strategy tests (helper C): an analyst, a measure, input builders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from qorgau.accounts.models import User
from qorgau.accounts.roles import Role
from qorgau.analytics import services_strategy as services
from qorgau.analytics.models import StrategyMeasure


def measure_input(**kw: Any) -> services.MeasureInput:
    values: dict[str, Any] = {
        "code": "shelter-beds",
        "area": "support",
        "indicator": "reports",
        "name_kk": "Әр өңірде баспана",
        "name_ru": "Приют в каждом регионе",
        "name_en": "A shelter in every region",
        "starts_on": date(2025, 1, 1),
        "ends_on": date(2028, 12, 31),
        "baseline": 60.0,
        "target": 90.0,
        "target_year": 2028,
        "responsible": "",
    }
    values.update(kw)
    return services.MeasureInput(**values)


def financing_input(**kw: Any) -> services.FinancingInput:
    values: dict[str, Any] = {
        "year": 2026,
        "budget": Decimal("1500000"),
        "spent": Decimal("500000"),
        "region": "",
        "source": "",
    }
    values.update(kw)
    return services.FinancingInput(**values)


@pytest.fixture
def analyst(reference, make_user) -> User:
    return make_user(Role.ANALYST)


@pytest.fixture
def measure(analyst) -> StrategyMeasure:
    return services.measure_create(actor=analyst, data=measure_input())
