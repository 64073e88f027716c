"""Demo training: completions for the demo staff, then the risk-assessment signing rule switched on.

Every active staff member whose role a requirement names gets a current certificate of the required
course (so that every demo user who may sign a risk assessment still can); a few also hold other
courses, one certificate expires within 60 days and one has expired, so the pages show each status.
Only when everyone the rule applies to holds a current certificate is the rule enforced.

Call after ``seed_demo`` (and the regional users): ``training_seed()``; safe to run again."""

from __future__ import annotations

from datetime import timedelta

from qorgau.accounts.models import User
from qorgau.training.models import Action, Completion, Course, Requirement
from qorgau.training.reference import courses_load, requirements_enforce
from qorgau.training.services import completion_record, current_completion, today_for


def _record(admin: User, user: User, course: Course, days_ago: int, n: int) -> int:
    if Completion.objects.filter(user=user, course=course).exists():
        return 0
    completion_record(actor=admin, user_id=user.pk, course=course.pk, completed_on=today_for(admin) - timedelta(days=days_ago),
                      certificate_number=f"{course.position + 1:02d}-{n:05d}")
    return 1


def training_seed(*, admin_username: str = "admin") -> dict[str, int]:
    if not Course.objects.exists():
        courses_load()
    admin = User.objects.filter(username=admin_username).first()
    if admin is None:
        return {"completions": 0, "enforced": 0}
    courses = {c.code: c for c in Course.objects.all()}
    required: dict[str, set[str]] = {}
    for r in Requirement.objects.all():
        required.setdefault(r.role, set()).add(r.course_id)
    made = 0
    staff = list(User.objects.filter(is_active=True, unit__isnull=False).order_by("id"))
    for n, user in enumerate(staff):
        for code in sorted(required.get(user.role, set())):
            made += _record(admin, user, courses[code], 200 + n % 300, n)
        if user.username == "inspector":  # the protocol course: current, and expiring soon
            made += _record(admin, user, courses["protocol"], 24 * 30 - 20, n)
        if user.username == "social":  # interviewing: done long ago, expired
            made += _record(admin, user, courses["trauma_informed_interviewing"], 40 * 30, n)
    signers = [u for u in staff if Requirement.objects.filter(action=Action.SIGN_RISK_ASSESSMENT, role=u.role).exists()]
    ready = all(current_completion(u, r.course, today_for(u)) is not None
                for u in signers for r in Requirement.objects.filter(action=Action.SIGN_RISK_ASSESSMENT, role=u.role))
    enforced = requirements_enforce(Action.SIGN_RISK_ASSESSMENT) if ready else 0
    return {"completions": made, "enforced": enforced}


