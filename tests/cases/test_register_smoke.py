import pytest

from qorgau.cases.access import case_get_for
from qorgau.cases.models import Case, Grant
from qorgau.cases.selectors import case_people, case_search
from qorgau.cases.services import VictimInput, report_register
from qorgau.core.errors import NotFound
from tests.cases.factories import person, report_input

pytestmark = pytest.mark.django_db


def test_register_opens_a_case_and_a_second_report_joins_it(make_user, other_unit):
    inspector = make_user("police_inspector")
    first = report_register(actor=inspector, data=report_input())
    assert len(first.new_cases) == 1
    case = first.cases[0]
    assert case.number.startswith("C-") and Grant.objects.filter(case=case, unit=inspector.unit).exists()
    second = report_register(actor=inspector, data=report_input())
    assert second.new_cases == [] and second.cases[0].pk == case.pk
    assert case.incidents.count() == 2

    seen, viewer = case_get_for(inspector, case.pk)
    assert case_people(seen, viewer)["victim_name"] == "Сапарова Айгерим"

    stranger = make_user("police_inspector", unit=other_unit)
    with pytest.raises(NotFound):
        case_get_for(stranger, case.pk)
    hits = case_search(stranger, iin=case.victim.iin)
    assert [(h.case_id, h.visible, h.number) for h in hits] == [(None, False, "")]


def test_four_victims_of_one_man_are_four_cases(make_user):
    inspector = make_user("police_inspector")
    victims = [
        VictimInput(relationship="spouse", person=person("Жена Айгуль", serial=2000)),
        VictimInput(relationship="parent", person=person("Сын Арман", birth=__import__("datetime").date(2014, 1, 1), sex="M", serial=2100)),
        VictimInput(relationship="parent", person=person("Дочь Алия", birth=__import__("datetime").date(2016, 2, 2), serial=2200)),
        VictimInput(relationship="other_relative", person=person("Свекровь Роза", birth=__import__("datetime").date(1955, 3, 3), serial=2300)),
    ]
    reg = report_register(actor=inspector, data=report_input(victims=victims))
    assert len(reg.cases) == 4 and Case.objects.count() == 4
    assert len({c.incidents.get().pk for c in reg.cases}) == 1
