"""The scenario page's form: every assumption of the model, read from the query string (a GET form, so
the address holds the assumptions and can be shared). A field missing from the query keeps its
default; a value outside its range is refused with a message in the reader's language."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.analytics.scenario_params import GROUPS, PARAMS, SCENARIO, SCENARIO_LABELS, Param, defaults, out_of_range
from qorgau.analytics.scenarios import SCENARIOS

SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")


def _plain(value: float) -> str:
    """A default as the input shows it: ``20.2``, ``1000`` (no grouping; a decimal point)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


class ParamField(forms.Field):
    """A number within the parameter's range; a decimal comma is accepted as well as a point."""

    widget = forms.NumberInput

    def __init__(self, param: Param, **kwargs: Any) -> None:
        self.param = param
        kwargs.setdefault("label", param.label)
        kwargs.setdefault("error_messages", {"required": _("Enter a number."), "invalid": _("Enter a number.")})
        super().__init__(**kwargs)
        self.widget.attrs.update({"step": param.step, "inputmode": "decimal" if param.step == "any" else "numeric"})

    def to_python(self, value: Any) -> float | None:
        if value in self.empty_values:
            return None
        text = str(value).translate(SPACES).replace(",", ".").replace("−", "-")
        try:
            number = float(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not math.isfinite(number):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def prepare_value(self, value: Any) -> Any:
        """A typed ``0,4`` goes back into the number input as ``0.4`` (its value must use a point)."""
        try:
            number = self.to_python(value)
        except forms.ValidationError:
            return value
        return value if number is None else _plain(number)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None:
            problem = out_of_range(self.param, value)
            if problem:
                raise forms.ValidationError(problem, code="range")


@dataclass(frozen=True)
class Input:
    """One input as the template writes it (by hand: 37 widgets through the form renderer cost more
    than the model run)."""

    name: str
    id: str
    value: str
    errors: list[str]
    spoken: str  # the accessible name when the row's label is shared by three inputs
    step: str
    default: float


@dataclass(frozen=True)
class Row:
    """One assumption on the page: its parameter and its input (three for a scenario assumption)."""

    param: Param
    inputs: list[Input]


class ScenarioForm(forms.Form):
    def __init__(self, query: Mapping[str, Any]) -> None:
        data = {name: _plain(v) for name, v in defaults().items()}
        self.changed = 0
        for name in data:
            if name in query:
                data[name] = str(query.get(name))
        super().__init__(data)
        for p in PARAMS.values():
            for name in p.field_names():
                self.fields[name] = ParamField(p)
        self.changed = sum(
            1 for name, default in defaults().items() if name in query and _differs(query.get(name), default)
        )

    def values(self) -> dict[str, float]:
        """The page values of every field (valid form only)."""
        return {name: float(v) for name, v in self.cleaned_data.items()}

    def _row(self, p: Param, d: dict[str, float]) -> Row:
        inputs = []
        for name, scenario in zip(p.field_names(), SCENARIOS if p.per_scenario else ("",), strict=True):
            bound = self[name]
            value = bound.value()
            spoken = f"{p.label} — {SCENARIO_LABELS[scenario]}" if scenario else ""
            inputs.append(
                Input(
                    name=name,
                    id=bound.auto_id or name,
                    value="" if value is None else str(value),
                    errors=[str(e) for e in self.errors.get(name, [])],
                    spoken=spoken,
                    step=p.step,
                    default=d[name],
                )
            )
        return Row(p, inputs)

    def groups(self) -> list[tuple[Any, list[Row]]]:
        """The common assumptions, group by group: (title, rows)."""
        d = defaults()
        return [(title, [self._row(p, d) for p in params]) for title, params in GROUPS]

    def scenario_rows(self) -> list[Row]:
        """The scenario assumptions, one row each with the inertial, reactive and strategic inputs."""
        d = defaults()
        return [self._row(p, d) for p in SCENARIO]

    def error_items(self) -> list[tuple[str, str, list[str]]]:
        """(input id, what it is, messages) for the summary above the results."""
        items = []
        for p in PARAMS.values():
            for name, scenario in zip(p.field_names(), SCENARIOS if p.per_scenario else ("",), strict=True):
                if name in self.errors:
                    what = f"{p.label} — {SCENARIO_LABELS[scenario]}" if scenario else str(p.label)
                    items.append((self[name].auto_id, what, [str(e) for e in self.errors[name]]))
        return items


def _differs(raw: Any, default: float) -> bool:
    try:
        return not math.isclose(
            float(str(raw).translate(SPACES).replace(",", ".")), default, rel_tol=1e-12, abs_tol=1e-12
        )
    except ValueError:
        return True
