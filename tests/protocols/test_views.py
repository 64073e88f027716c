"""The work queue and the task page: sections by deadline, the protocol's texts in the user's
language, accept / done / decline with clear messages, a stale form is a 409."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.protocols.models import Task, TaskStatus
from tests.conftest import sign_in
from tests.protocols.support import agency_unit, fire_one, make_case

pytestmark = pytest.mark.django_db

TITLES = {"ru": "Школа: сопровождение ребёнка", "kk": "Мектеп: баланы қадағалау", "en": "School: follow up with the child"}


@pytest.fixture
def school(reference):
    return agency_unit("school", "KZ-75", "751110000", "School 12")


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_queue_sections_in_each_language(protocols, inspector, school, make_user, client, lang):
    teacher = make_user(Role.SCHOOL_WORKER, unit=school, language=lang)
    at = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)  # 09:00 in Almaty
    with clock.frozen(at) as frozen:
        case = make_case(inspector)
        overdue = fire_one(case, inspector, "school_child_follow_up", trigger="child_involved", key="child:1")
        frozen.advance(timedelta(hours=73))
        upcoming = fire_one(case, inspector, "school_child_follow_up", trigger="child_involved", key="child:2")
        page = sign_in(client, teacher).get("/protocols/queue/").content.decode()
    overdue_part = page.split('data-testid="overdue"')[1].split("</table>")[0]
    upcoming_part = page.split('data-testid="upcoming"')[1].split("</table>")[0]
    assert f'data-task="{overdue.pk}"' in overdue_part and f'data-task="{upcoming.pk}"' in upcoming_part
    assert TITLES[lang] in page and f'href="/cases/{case.pk}/"' in overdue_part
    assert f'href="/protocols/tasks/{overdue.pk}/"' in overdue_part and f'href="/protocols/tasks/{upcoming.pk}/"' in upcoming_part
    assert f'lang="{lang}"' in page


def test_the_queue_leads_to_the_reassessments_due(protocols, inspector, client):
    case = make_case(inspector)  # never assessed: due at once
    c = sign_in(client, inspector)
    page = c.get("/protocols/queue/").content.decode()
    assert 'href="/risk/due/"' in page.split('data-testid="reassessments-link"')[1].split("</p>")[0]
    due = c.get("/risk/due/").content.decode()
    assert f'data-case="{case.number}"' in due and f"/cases/{case.pk}/#risk" in due


def test_accept_done_and_stale_on_the_task_page(protocols, inspector, school, make_user, client):
    teacher = make_user(Role.SCHOOL_WORKER, unit=school, language="en")
    task = fire_one(make_case(inspector), inspector, "school_child_follow_up", trigger="child_involved")
    c = sign_in(client, teacher)
    url = f"/protocols/tasks/{task.pk}/"
    page = c.get(url).content.decode()
    assert "the school psychologist talks with the child" in page and 'data-testid="case-link"' in page
    r = c.post(url, {"action": "accept", "version": task.version}, follow=True)
    assert r.status_code == 200 and "You accepted the task" in r.content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACCEPTED
    stale = c.post(url, {"action": "done", "version": task.version, "text": "done"})
    assert stale.status_code == 409
    empty = c.post(url, {"action": "done", "version": task.version + 1, "text": ""})
    assert empty.status_code == 422 and Task.objects.get(pk=task.pk).status == TaskStatus.ACCEPTED
    ok = c.post(url, {"action": "done", "version": task.version + 1, "text": "Met the child and the psychologist."}, follow=True)
    assert "The task is done" in ok.content.decode()
    # The grant the engine gave opens the case.
    assert c.get(f"/cases/{task.case_id}/").status_code == 200


def test_bad_form_and_other_units(protocols, inspector, school, make_user, client):
    task = fire_one(make_case(inspector), inspector, "school_child_follow_up", trigger="child_involved")
    teacher = make_user(Role.SCHOOL_WORKER, unit=school)
    c = sign_in(client, teacher)
    assert c.post(f"/protocols/tasks/{task.pk}/", {"action": "explode", "version": "x"}).status_code == 422
    other = sign_in(client.__class__(), inspector)  # the registering police unit: not its task
    assert other.get(f"/protocols/tasks/{task.pk}/").status_code == 404


def test_declined_reason_on_the_case_tasks_page(protocols, inspector, school, make_user, client):
    task = fire_one(make_case(inspector), inspector, "school_child_follow_up", trigger="child_involved")
    teacher = make_user(Role.SCHOOL_WORKER, unit=school)
    sign_in(client, teacher).post(f"/protocols/tasks/{task.pk}/", {"action": "decline", "version": task.version, "text": "Wrong school"})
    page = sign_in(client.__class__(), inspector).get(f"/protocols/case/{task.case_id}/").content.decode()
    assert "Wrong school" in page


def test_unrouted_list_for_administrators(protocols, inspector, make_user, client):
    task = fire_one(make_case(inspector), inspector, "health_document_injuries", trigger="level_raised", level="high")
    admin = make_user(Role.ADMINISTRATOR)
    page = sign_in(client, admin).get("/protocols/unrouted/").content.decode()
    assert f'data-task="{task.pk}"' in page


def test_the_queue_counts_every_task_and_pages_a_section(protocols, inspector, school, make_user, client, monkeypatch):
    """A section lists its first rows and counts them all; its own pages list the rest, soonest first."""
    from qorgau.protocols import selectors

    monkeypatch.setattr(selectors, "QUEUE_SECTION_ROWS", 2)
    teacher = make_user(Role.SCHOOL_WORKER, unit=school, language="en")
    at = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)
    with clock.frozen(at) as frozen:
        case = make_case(inspector)
        tasks = []
        for i in range(5):
            tasks.append(fire_one(case, inspector, "school_child_follow_up", trigger="child_involved", key=f"child:{i}"))
            frozen.advance(timedelta(minutes=10))
        frozen.advance(timedelta(hours=73))
        c = sign_in(client, teacher)
        page = c.get("/protocols/queue/").content.decode()
        overdue_part = page.split('data-testid="overdue"')[1].split("</table>")[0]
        assert [int(x) for x in re.findall(r'data-task="(\d+)"', overdue_part)] == [t.pk for t in tasks[:2]]
        assert "Overdue (5)" in page and "The first 2 of 5 are shown." in page and 'href="?section=overdue"' in page
        assert "Upcoming (0)" in page and 'data-testid="upcoming-more"' not in page
        second = c.get("/protocols/queue/?section=overdue&page=2").content.decode()
        assert [int(x) for x in re.findall(r'data-task="(\d+)"', second)] == [t.pk for t in tasks[2:4]]
        assert [int(x) for x in re.findall(r'href="/protocols/tasks/(\d+)/"', second)] == [t.pk for t in tasks[2:4]]
        assert "Page 2 of 3" in second and 'href="?section=overdue&amp;page=3"' in second
        last = c.get("/protocols/queue/?section=overdue&page=x9").content.decode()  # not a number: the first page
        assert [int(x) for x in re.findall(r'data-task="(\d+)"', last)] == [t.pk for t in tasks[:2]]
        assert c.get("/protocols/queue/?section=nonsense").status_code == 200
        api = c.get("/api/v1/tasks").json()
    assert api["counts"] == {"overdue": 5, "today": 0, "upcoming": 0} and len(api["overdue"]) == 5


def test_the_queue_page_leaves_the_tasks_free_texts_unread_and_the_api_carries_them(protocols, inspector, school, make_user, client):
    """Issue 10: each free text of a task is encrypted, and the queue's rows never show them; the page
    does not decrypt them (150 rows × 3 texts), while the API's lists still carry the instructions."""
    from qorgau.protocols import selectors

    teacher = make_user(Role.SCHOOL_WORKER, unit=school, language="en")
    case = make_case(inspector)
    fire_one(case, inspector, "school_child_follow_up", trigger="child_involved", key="child:texts")
    listed = selectors.queue_for(teacher)
    section = next(name for name in selectors.SECTIONS if getattr(listed, name))
    row = getattr(listed, section)[0]
    assert {"instructions", "outcome", "decline_reason"} <= row.get_deferred_fields()
    assert {"instructions", "outcome", "decline_reason"} <= selectors.queue_section(teacher, section, None).object_list[0].get_deferred_fields()
    full = selectors.queue_for(teacher, with_texts=True)
    assert not (full.overdue + full.today + full.upcoming)[0].get_deferred_fields() & {"instructions", "outcome", "decline_reason"}
    api = sign_in(client, teacher).get("/api/v1/tasks").json()
    listed_api = api["overdue"] + api["today"] + api["upcoming"]
    assert listed_api[0]["instructions"] == Task.objects.get(pk=row.pk).guidance != ""
