"""The build's progress bar: reports written, with the rate (tqdm), on the command's output."""

from __future__ import annotations

from typing import Any, TextIO

from tqdm import tqdm


def progress_bar(total: int, out: TextIO | Any, *, enabled: bool = True) -> tqdm:
    return tqdm(
        total=total,
        unit=" reports",
        unit_scale=True,
        desc="National history",
        file=out,
        disable=not enabled,
        mininterval=1.0,
        smoothing=0.1,
        dynamic_ncols=True,
    )
