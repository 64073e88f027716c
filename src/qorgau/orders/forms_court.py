"""Forms of the court pages: hearings, criminal cases, the decision with the criminal case it settles,
and the docket's dates. They check what a browser can get wrong; the services stay the authority."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.cases.forms import DATE_ERRORS, DATE_INPUTS, ERRORS
from qorgau.orders.forms import CourtDecisionForm, VersionedForm, _text, _when
from qorgau.orders.models import CourtDecision, CriminalCase, CriminalCaseStatus, HearingKind, Order

FIRST_STATUSES = [(s.value, s.label) for s in (CriminalCaseStatus.REGISTERED, CriminalCaseStatus.IN_COURT)]


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, input_formats=DATE_INPUTS, error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _choice(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, required=False, empty_value=None, error_messages=ERRORS)


def _orders(items: list[Order]) -> list[tuple[Any, str]]:
    return [("", "—"), *((o.pk, f"{o.number} · {o.get_kind_display()}") for o in items)]


def _criminal(items: list[CriminalCase]) -> list[tuple[Any, str]]:
    return [("", "—"), *((c.pk, f"{c.number} · {c.article} · {c.get_status_display()}") for c in items)]


def _decisions(items: list[CourtDecision]) -> list[tuple[Any, str]]:
    return [("", "—"), *((d.pk, f"{d.reference} · {d.get_kind_display()} · {d.decided_on:%d.%m.%Y}") for d in items)]


class DecisionWithCriminalCaseForm(CourtDecisionForm):
    criminal_case = _choice(_("Criminal case it settles (conviction or acquittal)"))

    def __init__(self, *args: Any, criminal_cases: list[CriminalCase], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criminal_case"].choices = _criminal(criminal_cases)  # type: ignore[attr-defined]


class HearingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Hearing"), choices=HearingKind.choices, error_messages=ERRORS)
    scheduled_for = _when(_("Date and time"))
    order = _choice(_("Order it concerns"))
    criminal_case = _choice(_("Criminal case it concerns"))

    def __init__(self, *args: Any, orders: list[Order], criminal_cases: list[CriminalCase], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = _orders(orders)  # type: ignore[attr-defined]
        self.fields["criminal_case"].choices = _criminal(criminal_cases)  # type: ignore[attr-defined]


class RescheduleForm(VersionedForm):
    scheduled_for = _when(_("New date and time"))
    adjourn = forms.BooleanField(label=_("Adjourned at the hearing"), required=False)
    reason = _text(_("Reason"), required=False, rows=2)


class HeldForm(VersionedForm):
    outcome = _text(_("Outcome"), required=False)
    decision = _choice(_("Decision given at the hearing"))

    def __init__(self, *args: Any, decisions: list[CourtDecision], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = _decisions(decisions)  # type: ignore[attr-defined]


class CancelForm(VersionedForm):
    reason = _text(_("Reason for cancelling"), rows=2)


class CriminalCaseForm(forms.Form):
    number = forms.CharField(label=_("Registration number"), max_length=40, error_messages=ERRORS)
    registered_on = _date(_("Registered on"))
    article = forms.CharField(label=_("Article of the Criminal Code"), max_length=60, error_messages=ERRORS)
    status = forms.ChoiceField(label=_("Status"), choices=FIRST_STATUSES, initial=CriminalCaseStatus.REGISTERED, error_messages=ERRORS)


class CriminalStatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("New status"), error_messages=ERRORS)
    status_on = _date(_("Date (empty: today)"), required=False)
    decision = _choice(_("Court decision (a conviction needs the one with the sentence)"))

    def __init__(self, *args: Any, statuses: list[str], decisions: list[CourtDecision], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, CriminalCaseStatus(s).label) for s in statuses]  # type: ignore[attr-defined]
        self.fields["decision"].choices = _decisions(decisions)  # type: ignore[attr-defined]


class DocketFilterForm(forms.Form):
    since = _date(_("From"), required=False)
    until = _date(_("To"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end is before the start."))
        return data
