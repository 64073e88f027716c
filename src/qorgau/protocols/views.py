"""Pages of protocols: the unit's work queue, one task with accept / done / decline, the tasks on a
case (through the case gate), and the unrouted tasks for administrators.

Thin views: reads through ``protocols.selectors`` and the case gate, writes through
``protocols.services``; ``Invalid`` becomes form errors, a stale version a 409 page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.core import clock
from qorgau.core.errors import Invalid
from qorgau.protocols import selectors, services
from qorgau.protocols.forms import TaskActionForm
from qorgau.protocols.models import LIVE_STATUSES, Task, TaskStatus

DONE_MESSAGES = {
    "accept": _("You accepted the task. It stays in your queue until it is done."),
    "done": _("The task is done and the outcome is recorded on the case."),
    "decline": _("You declined the task; the unit that holds the case has been told why."),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@capability_required(Capability.WORK_CASES)
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    queue = selectors.queue_for(_user(request))
    return render(request, "protocols/queue.html", {"queue": queue, "now": clock.now()})


def _task_page(request: HttpRequest, task: Task, form: TaskActionForm | None = None, *, status: int = 200) -> HttpResponse:
    return render(request, "protocols/task.html", {
        "task": task,
        "form": form or TaskActionForm(initial={"version": task.version}),
        "can_accept": task.status in (TaskStatus.OPEN, TaskStatus.ESCALATED),
        "can_finish": task.status in LIVE_STATUSES,
        "overdue": task.status in LIVE_STATUSES and task.due_at <= clock.now(),
    }, status=status)


@login_required
@capability_required(Capability.WORK_CASES)
@require_http_methods(["GET", "HEAD", "POST"])
def task_view(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = selectors.task_get_for(user, task_id)
    if request.method != "POST":
        return _task_page(request, task)
    form = TaskActionForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, form, status=422)
    action, version, text = form.cleaned_data["action"], form.cleaned_data["version"], form.cleaned_data["text"]
    try:
        if action == "accept":
            services.task_accept(actor=user, task_id=task.pk, version=version)
        elif action == "done":
            services.task_done(actor=user, task_id=task.pk, version=version, outcome=text)
        else:
            services.task_decline(actor=user, task_id=task.pk, version=version, reason=text)
    except Invalid as exc:
        for name, errors in exc.fields.items():
            for e in errors:
                form.add_error("text" if name in ("outcome", "reason") else None, e)
        return _task_page(request, task, form, status=422)
    messages.success(request, DONE_MESSAGES[action])
    return redirect("protocols:task", task_id=task.pk)


@login_required
@capability_required(Capability.WORK_CASES)
@require_GET
def case_tasks_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case, _viewer = case_get_for(_user(request), case_id, request=request)
    return render(request, "protocols/case_tasks.html", {"case": case, "tasks": selectors.case_tasks(case)})


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_GET
def unrouted_view(request: HttpRequest) -> HttpResponse:
    return render(request, "protocols/unrouted.html", {"tasks": list(selectors.tasks_unrouted()[:500])})
