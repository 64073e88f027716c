import pytest

from qorgau.cases.reference import markers_load


@pytest.fixture(autouse=True)
def _markers(db):
    markers_load()
