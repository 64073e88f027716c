"""Demo socio-economic support: programmes of the Almaty employment and social programmes office
(employment, vocational training, temporary social housing, benefits) and legal aid at the Almaty
crisis centre, and referrals on demo cases of the Almaty police in different states.

Call after ``seed_demo``, the cases and ``shelters_seed``: ``support_seed()``; safe to run again."""

from __future__ import annotations

from datetime import timedelta

from qorgau.accounts.models import Unit, User
from qorgau.cases.access import case_get_for
from qorgau.cases.models import Case
from qorgau.core.errors import QorgauError
from qorgau.support.models import SupportProgramme, SupportReferral
from qorgau.support.services import programme_save, referral_create, referral_move, today_for

OFFICE = "Employment and social programmes office, Almaty"
CRISIS = "Shapagat crisis centre"

# (unit name_en, kind, ru, kk, en, flags)
PROGRAMMES: list[tuple[str, str, str, str, str, dict[str, bool]]] = [
    (OFFICE, "employment", "Содействие занятости женщин", "Әйелдердің жұмыспен қамтылуына жәрдемдесу",
     "Employment support for women", {"serves_migrants": True, "lang_en": True}),
    (OFFICE, "vocational_training", "Краткосрочное профессиональное обучение", "Қысқа мерзімді кәсіптік оқыту",
     "Short vocational training", {"serves_disabilities": True}),
    (OFFICE, "social_housing", "Временное социальное жильё", "Уақытша әлеуметтік тұрғын үй",
     "Temporary social housing", {"serves_ethnic": True}),
    (OFFICE, "benefits", "Адресная социальная помощь", "Атаулы әлеуметтік көмек",
     "Targeted social assistance", {"lang_other": True, "serves_migrants": True}),
    (CRISIS, "legal_aid", "Бесплатная юридическая помощь", "Тегін заң көмегі", "Free legal aid", {}),
]

# (programme en name, the steps after "requested": (status, days before today), outcome)
STORIES = [
    ("Employment support for women", [("accepted", 50), ("started", 45), ("completed", 10)], "employed"),
    ("Short vocational training", [("accepted", 20), ("started", 15)], ""),
    ("Temporary social housing", [("accepted", 3)], ""),
    ("Targeted social assistance", [], ""),
    ("Free legal aid", [("declined", 5)], ""),
]


def support_seed(*, referrer_username: str = "inspector", provider_username: str = "coordinator",
                 crisis_username: str = "shelter") -> dict[str, int]:
    made = 0
    for unit_name, kind, ru, kk, en, flags in PROGRAMMES:
        unit = Unit.objects.filter(name_en__startswith=unit_name).first()
        if unit is None or SupportProgramme.objects.filter(unit=unit, kind=kind, name_ru=ru).exists():
            continue
        programme_save(actor=None, unit=unit, kind=kind, name_kk=kk, name_ru=ru, name_en=en, **flags)  # type: ignore[arg-type]
        made += 1
    referred = 0
    referrer = User.objects.filter(username=referrer_username).select_related("unit").first()
    providers = {u.unit_id: u for u in User.objects.filter(username__in=[provider_username, crisis_username])}
    if referrer is None or referrer.unit_id is None or SupportReferral.objects.exists():
        return {"programmes": made, "referrals": referred}
    cases = list(Case.objects.filter(holding_unit=referrer.unit, merged_into__isnull=True).order_by("id")[:len(STORIES)])
    today = today_for(referrer.unit)
    for case, (name, steps, outcome) in zip(cases, STORIES, strict=False):
        programme = SupportProgramme.objects.filter(name_en=name).first()
        provider = providers.get(programme.unit_id) if programme is not None else None
        if programme is None or provider is None:
            continue
        try:
            _case, viewer = case_get_for(referrer, case.pk)
            start = max((d for _s, d in steps), default=1) + 5
            r = referral_create(actor=referrer, case=case, viewer=viewer, programme=programme, consent_how="in_person",
                                contact=True, requested_on=today - timedelta(days=start))
            for status, days in steps:
                r = referral_move(actor=provider, referral_id=r.pk, version=r.version, to=status, on=today - timedelta(days=days),
                                  outcome=outcome if status == "completed" else "")
        except QorgauError:
            continue
        referred += 1
    return {"programmes": made, "referrals": referred}
