"""A response serialised once, by pydantic's own serialiser, in the JSON ninja writes.

Ninja validates a view's result against the response model again, dumps it to Python values and
encodes those with the standard library's ``json`` and Django's encoder, a second pass over a response
the view has just built (about a tenth of the API's case detail). A view on the hot path that builds
its response model field by field returns ``json_response(model)`` instead: the same values, times
in ninja's format (``Instant``), and the route's declared response model still documents it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpResponse
from pydantic import BaseModel, PlainSerializer


def ninja_time(value: dt.datetime) -> str:
    """A time as Django's JSON encoder (and so ninja) writes it: ISO 8601 to the millisecond, UTC as ``Z``."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text.removesuffix("+00:00") + "Z"
    return text


# A time field of a response model that may be serialised by ``json_response``.
Instant = Annotated[dt.datetime, PlainSerializer(ninja_time, return_type=str, when_used="json")]


def json_response(model: BaseModel, status: int = 200) -> HttpResponse:
    return HttpResponse(model.model_dump_json(), status=status, content_type="application/json; charset=utf-8")
