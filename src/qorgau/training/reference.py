"""Loading the training configuration (``training/courses.json``) — run by ``qorgau load-reference``.

Courses are created or updated by code. Requirements in the file replace those in the database, but
a requirement already present keeps its ``enforced`` switch unless ``keep_switches`` is off, so that
an administrator's (or the demo's) choice survives a reload. The file ships every requirement off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from qorgau.accounts.roles import Role
from qorgau.training.models import Action, Course, Requirement

COURSES_FILE = Path(__file__).resolve().parent / "courses.json"
LANGS = ("kk", "ru", "en")


class CoursesFileError(ValueError):
    pass


def _texts(row: dict[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, str]:
    texts = row.get(key) or {}
    if not isinstance(texts, dict) or (required and any(not str(texts.get(lang, "")).strip() for lang in LANGS)):
        raise CoursesFileError(f"{where}.{key}: kk, ru and en are required")
    return {lang: str(texts.get(lang, "")).strip() for lang in LANGS}


@transaction.atomic
def courses_load(path: Path = COURSES_FILE, *, keep_switches: bool = True) -> int:
    """Import the courses and requirements; safe to run again. Returns the number of courses."""
    data = json.loads(path.read_text(encoding="utf-8"))
    codes: set[str] = set()
    for i, row in enumerate(data.get("courses", [])):
        code, months = str(row.get("code", "")).strip(), row.get("validity_months")
        if not code or not isinstance(months, int) or not 1 <= months <= 120:
            raise CoursesFileError(f"courses[{i}]: a code and validity_months of 1 to 120")
        names, descriptions = _texts(row, "name", f"courses[{i}]"), _texts(row, "description", f"courses[{i}]", required=False)
        Course.objects.update_or_create(code=code, defaults={
            "validity_months": months, "position": i,
            **{f"name_{lang}": names[lang] for lang in LANGS}, **{f"description_{lang}": descriptions[lang] for lang in LANGS},
        })
        codes.add(code)
    wanted: dict[tuple[str, str, str], bool] = {}
    for i, row in enumerate(data.get("requirements", [])):
        action, course, roles = row.get("action"), row.get("course"), row.get("roles") or []
        if action not in Action.values:
            raise CoursesFileError(f"requirements[{i}].action: one of {', '.join(Action.values)}")
        if course not in codes:
            raise CoursesFileError(f"requirements[{i}].course: a course of this file")
        if not roles or set(roles) - set(Role.values):
            raise CoursesFileError(f"requirements[{i}].roles: one or more of {', '.join(Role.values)}")
        for role in roles:
            wanted[(action, course, role)] = bool(row.get("enforced", False))
    existing = {(r.action, r.course_id, r.role): r for r in Requirement.objects.all()}
    for key, req in existing.items():
        if key not in wanted:
            req.delete()
    for (action, course, role), enforced in wanted.items():
        found = existing.get((action, course, role))
        if found is None:
            Requirement.objects.create(action=action, course_id=course, role=role, enforced=enforced)
        elif not keep_switches and found.enforced != enforced:
            Requirement.objects.filter(pk=found.pk).update(enforced=enforced)
    return len(codes)


def requirements_enforce(action: str, enforced: bool = True) -> int:
    """Switch every requirement of ``action`` on or off (the demo, the tests, an administrator's shell)."""
    return Requirement.objects.filter(action=action).update(enforced=enforced)
