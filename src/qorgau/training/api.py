"""Training over the API (/api/v1/training): courses, one's own certificates, recording a completion
(unit supervisors for their unit's staff, administrators for anyone) and coverage (counts only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.models import User
from qorgau.cases.api import MAX_ID, errors
from qorgau.training import selectors, services
from qorgau.training.models import Action

router = Router(tags=["training"])


class CourseOut(Schema):
    code: str
    name: str = Field(description="In the caller's language.")
    description: str
    validity_months: int


class RequirementOut(Schema):
    action: Action
    course: str
    role: str
    enforced: bool = Field(description="False: configured but not applied yet.")


class CoursesOut(Schema):
    courses: list[CourseOut]
    requirements: list[RequirementOut]


class CertificateOut(Schema):
    course: str
    status: selectors.Status
    completed_on: dt.date | None
    expires_on: dt.date | None
    certificate_number: str | None


class CompletionIn(Schema):
    user_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    course: Annotated[str, Field(min_length=1, max_length=64)]
    completed_on: dt.date
    expires_on: dt.date | None = Field(default=None, description="Empty: the course's validity from the completion date.")
    certificate_number: Annotated[str, Field(max_length=services.CERTIFICATE_MAX)] = ""


class CompletionOut(Schema):
    id: int
    user_id: int
    course: str
    completed_on: dt.date
    expires_on: dt.date
    certificate_number: str


class CoverageRowOut(Schema):
    region: str = Field(description="The region's ISO code.")
    unit_id: int | None = Field(description="Null on a region's total.")
    staff: int | None = Field(description="Null when suppressed (1 to 4, for those who see aggregates only).")
    current: dict[str, int | None] = Field(description="Per course code: staff with a current certificate; null when suppressed.")


class CoverageOut(Schema):
    suppressed: bool
    regions: list[CoverageRowOut]
    units: list[CoverageRowOut]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.get("/training/courses", response={200: CoursesOut, **errors(401)}, auth=STAFF_AUTH)
def course_list(request: HttpRequest) -> CoursesOut:
    """The courses and which action needs which course for which role."""
    courses = selectors.courses_list()
    reqs = [r for c in courses for r in services.requirements_for_course(c)]
    return CoursesOut(
        courses=[CourseOut(code=c.code, name=c.name, description=c.description, validity_months=c.validity_months) for c in courses],
        requirements=[RequirementOut(action=Action(r.action), course=r.course_id, role=r.role, enforced=r.enforced) for r in reqs],
    )


@router.get("/training/me", response={200: list[CertificateOut], **errors(401)}, auth=STAFF_AUTH)
def my_certificates(request: HttpRequest) -> list[CertificateOut]:
    """The caller's certificate per course: current, expiring (within 60 days), expired or none."""
    return [
        CertificateOut(
            course=cell.course.code, status=cell.status, completed_on=cell.completion.completed_on if cell.completion else None,
            expires_on=cell.completion.expires_on if cell.completion else None,
            certificate_number=cell.completion.certificate_number if cell.completion else None,
        )
        for cell in selectors.mine(_user(request))
    ]


@router.post("/training/completions", response={201: CompletionOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def completion_create(request: HttpRequest, payload: CompletionIn) -> Status[CompletionOut]:
    """Record a completion (a unit supervisor for their unit's staff; an administrator for anyone)."""
    c = services.completion_record(
        actor=_user(request), user_id=payload.user_id, course=payload.course, completed_on=payload.completed_on,
        expires_on=payload.expires_on, certificate_number=payload.certificate_number,
    )
    return Status(201, CompletionOut(id=c.pk, user_id=c.user_id, course=c.course_id, completed_on=c.completed_on,
                                     expires_on=c.expires_on, certificate_number=c.certificate_number))


@router.get("/training/coverage", response={200: CoverageOut, **errors(401, 403)}, auth=STAFF_AUTH)
def coverage(request: HttpRequest) -> CoverageOut:
    """Staff with a current certificate per course, by region and unit; counts only, no names."""
    cov = selectors.coverage(_user(request))
    codes = [c.code for c in cov.courses]

    def row(r: selectors.CoverageRow) -> CoverageRowOut:
        return CoverageRowOut(region=r.region.pk, unit_id=r.unit.pk if r.unit else None, staff=r.staff, current=dict(zip(codes, r.current, strict=True)))

    return CoverageOut(suppressed=cov.suppressed, regions=[row(r) for r in cov.regions], units=[row(r) for r in cov.units])
