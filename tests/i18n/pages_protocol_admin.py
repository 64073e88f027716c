"""Language-walker pages for protocol versions and manual routing (merged into ``test_languages.PAGES``).

The administrator sees the protocols' versions, the published national version, a draft of a third
version (with its changes against the published one), an upload refused for broken JSON, and the
unrouted tasks of the walker's case with a unit to route them to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {}


def _loaded() -> None:
    from qorgau.protocols.definitions import protocols_load
    from qorgau.risk.instruments import policy_load

    policy_load()
    protocols_load()


def _published_id() -> int:
    from qorgau.protocols.models import ProtocolVersion

    _loaded()
    return ProtocolVersion.objects.get(protocol__code="national", status="published").pk


def _draft_id(w: Any) -> int:
    """national-2 uploaded again as version 3, with the police check due in 12 hours and a duty fewer."""
    from qorgau.protocols.definitions import FILES_DIR
    from qorgau.protocols.models import ProtocolVersion
    from qorgau.protocols.versions import version_draft_upload

    _loaded()
    found = ProtocolVersion.objects.filter(protocol__code="national", number=3).first()
    if found is not None:
        return found.pk
    data = json.loads((FILES_DIR / "national-2.json").read_text(encoding="utf-8"))
    data["version"] = 3
    data["duties"][0]["hours"] = 12
    data["duties"] = [d for d in data["duties"] if d["code"] != "fsc_closing_contact"]
    return version_draft_upload(actor=w.user("admin"), raw=json.dumps(data, ensure_ascii=False).encode()).pk


def _refused_upload(w: Any, lang: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    _loaded()
    return w.signed_in("admin", lang).post("/protocols/admin/", {"file": SimpleUploadedFile("national-3.json", b"{ 1", content_type="application/json")})


def _unrouted(w: Any, lang: str) -> Any:
    """The walker's case fired the protocol; its family support referral found no unit (none existed)
    until one is created afterwards in another region, which the page then offers."""
    from qorgau.accounts.models import AgencyKind
    from qorgau.accounts.services import unit_create
    from qorgau.cases.models import Case
    from qorgau.core.models import Region
    from qorgau.protocols.engine import fire
    from tests.i18n.test_languages import _case_id

    _loaded()
    case = Case.objects.get(pk=_case_id(w))
    fire(trigger="report_registered", case=case, actor=w.user("inspector"), key="walker:unrouted")
    kind = AgencyKind.objects.get(code="family_support")
    if not kind.units.exists():
        unit_create(actor=None, kind=kind, region=Region.objects.get(iso="KZ-19"), name_ru="Центр поддержки (обход)",
                    name_kk="Қолдау орталығы (айналым)", name_en="Support centre (walk)")
    return w.signed_in("admin", lang).get("/protocols/unrouted/")


PAGES.update({
    "protocol-admin-versions": (200, lambda w, lang: (_loaded(), w.signed_in("admin", lang).get("/protocols/admin/"))[1]),
    "protocol-admin-version": (200, lambda w, lang: w.signed_in("admin", lang).get(f"/protocols/admin/versions/{_published_id()}/")),
    "protocol-admin-draft": (200, lambda w, lang: w.signed_in("admin", lang).get(f"/protocols/admin/versions/{_draft_id(w)}/")),
    "protocol-admin-upload-refused": (422, _refused_upload),
    "protocols-unrouted-routing": (200, _unrouted),
})
