"""The demo's training seed: completions for the staff a requirement names, then the signing rule on."""

from __future__ import annotations

from qorgau.accounts.roles import Role
from qorgau.demo.training import training_seed
from qorgau.training.models import Action, Completion, Requirement
from qorgau.training.services import certificate_required


def test_the_seed_records_completions_then_enforces_signing(make_user, courses):
    make_user(Role.ADMINISTRATOR, username="admin")
    inspector = make_user(Role.POLICE_INSPECTOR, username="inspector")
    doctor = make_user(Role.HEALTH_WORKER)
    result = training_seed()
    assert result["enforced"] == Requirement.objects.filter(action=Action.SIGN_RISK_ASSESSMENT).count() > 0
    assert Completion.objects.filter(user=inspector, course="risk_assessment").exists()
    assert not Completion.objects.filter(user=doctor).exists()
    certificate_required(inspector, Action.SIGN_RISK_ASSESSMENT)  # enforced, and met
    assert training_seed()["completions"] == 0  # safe to run again
