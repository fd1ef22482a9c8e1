"""How scorecard figures are written as text, the same in every report and table."""

from __future__ import annotations

from typing import Any


def pct(rate: dict[str, Any] | None) -> str:
    """A rate as ``value [ci_low, ci_high]`` to three decimals; ``n/a`` when undefined."""
    if not rate or rate.get("value") is None:
        return "n/a"
    return f"{rate['value']:.3f} [{rate['ci_low']:.3f}, {rate['ci_high']:.3f}]"


def money(value: float | None) -> str:
    """USD with cents and thousands separators; ``n/a`` when unknown."""
    return "n/a" if value is None else f"${value:,.2f}"
