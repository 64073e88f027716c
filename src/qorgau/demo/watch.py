"""The demo's access watch: the inspector breaks the glass on three cases of other units within the
hour (each with a reason, through the real service), so the detectors find the pattern and her
supervisor has an alert to review on /watch/ (DESIGN §5, docs/watch.md)."""

from __future__ import annotations

from qorgau.accounts.models import User
from qorgau.cases.models import Case, Grant
from qorgau.cases.services import case_break_glass
from qorgau.watch.detectors import access_watch_run
from qorgau.watch.models import AccessAlert

REASONS = (
    "She called 102 from a neighbour's phone; checking earlier reports before going out.",
    "Night call to the flat, the offender is there; need the history of this pair.",
    "A hospital reported her injuries; looking for a case in another district.",
)


def watch_seed() -> dict[str, int]:
    """Break the glass three times as the demo inspector, then run the detectors once. Adds nothing
    when the demo already has an access alert."""
    if AccessAlert.objects.exists():
        return {"break_glass": 0, "alerts": 0}
    inspector = User.objects.get(username="inspector")
    held = Grant.objects.filter(unit=inspector.unit).values("case_id")
    cases = list(
        Case.objects.filter(restricted=False, merged_into__isnull=True).exclude(pk__in=held).order_by("pk")[: len(REASONS)]
    )
    for case, reason in zip(cases, REASONS, strict=False):
        case_break_glass(actor=inspector, case_id=case.pk, justification=reason)
    return {"break_glass": len(cases), "alerts": len(access_watch_run())}
