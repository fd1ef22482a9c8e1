"""Prices (``pricing.yaml`` beside this module) and the providers' token formulas for dry-run estimates.

A price is either **per token** (USD per 1M input and per 1M output tokens) or a
**subscription** (USD per month, spread over the images a month is expected to hold). Every
entry records the date and the source of its figure. ``detector.price`` names the entry; by
default the model name is looked up. ``detector.price_input_per_1m`` and
``detector.price_output_per_1m`` override the table (e.g. ``0`` for a model on your own GPU).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from phibench.exceptions import ConfigError
from phibench.records import TokenUsage

PRICING_FILE = Path(__file__).resolve().parent / "pricing.yaml"
"""The shipped price table (package data beside this module); ``pricing_file=`` reads another."""


@dataclass(frozen=True)
class Price:
    key: str
    kind: str = "per_token"
    """``per_token`` or ``subscription``."""
    input_per_1m: float = 0.0
    output_per_1m: float = 0.0
    usd_per_month: float = 0.0
    images_per_month: int = 0
    """Subscription only: the monthly volume the fee is spread over."""
    as_of: str = ""
    source: str = ""

    def cost(self, usage: TokenUsage) -> float:
        """USD for one image that consumed ``usage``."""
        if self.kind == "subscription":
            return self.usd_per_month / self.images_per_month
        tokens_in, tokens_out = usage.input_tokens, usage.output_tokens
        return (tokens_in * self.input_per_1m + tokens_out * self.output_per_1m) / 1e6

    def basis(self) -> str:
        where = f"; {self.source}" if self.source else ""
        when = f", as of {self.as_of}" if self.as_of else ""
        if self.kind == "subscription":
            return (f"subscription ${self.usd_per_month:,.2f} per month over "
                    f"{self.images_per_month:,} images per month ({self.key}{where}{when})")
        return (f"measured tokens x ${self.input_per_1m:g} per 1M input + "
                f"${self.output_per_1m:g} per 1M output tokens ({self.key}{where}{when})")

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", 0, 0.0)}


def pricing_path(given: str | None = None) -> Path:
    return Path(given).expanduser() if given else PRICING_FILE


def load_prices(path: Path) -> dict[str, Price]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"pricing table {str(path)!r} cannot be read: {exc}") from None
    prices: dict[str, Price] = {}
    for key, entry in (raw.get("prices") or {}).items():
        try:
            price = Price(key=str(key), **entry)
        except TypeError as exc:
            raise ConfigError(f"pricing table {path}: entry {key!r}: {exc}") from None
        if price.kind not in ("per_token", "subscription"):
            raise ConfigError(f"pricing table {path}: {key!r}: kind is per_token or subscription")
        if price.kind == "subscription" and price.images_per_month <= 0:
            raise ConfigError(f"pricing table {path}: {key!r}: a subscription needs "
                              f"images_per_month")
        prices[str(key)] = price
    return prices


def resolve_price(model: str, key: str | None, input_per_1m: float | None,
                  output_per_1m: float | None, table: str | None = None) -> Price:
    """The price of a detector: explicit per-token figures, else the table's entry."""
    if input_per_1m is not None or output_per_1m is not None:
        if input_per_1m is None or output_per_1m is None:
            raise ConfigError("set both detector.price_input_per_1m and "
                              "detector.price_output_per_1m")
        return Price("detector parameters", "per_token", float(input_per_1m), float(output_per_1m),
                     source="detector.price_input_per_1m / price_output_per_1m")
    path = pricing_path(table)
    prices = load_prices(path)
    name = key or model
    if name not in prices:
        raise ConfigError(
            f"no price for {name!r} in {path}. Add an entry there (per 1M input/output tokens, "
            f"with date and source), name one with detector.price=KEY, or set "
            f"detector.price_input_per_1m=... detector.price_output_per_1m=... (0 and 0 for a "
            f"model on your own hardware). Known: {', '.join(sorted(prices))}")
    return prices[name]


def price_of(params: Any) -> Price:
    """The price of a detector with ``params`` (its ``model``, ``price``, ``price_*_per_1m`` and
    ``pricing_file``)."""
    return resolve_price(params.model, params.price, params.price_input_per_1m,
                         params.price_output_per_1m, params.pricing_file)


# -- token formulas (dry-run estimates; the measured usage of every response is what is billed) --

def text_tokens(text: str) -> int:
    """About four characters per token, as the providers' own rules of thumb say."""
    return math.ceil(len(text) / 4)


def openai_image_tokens(width: int, height: int, detail: str | None) -> int:
    """GPT-4o: ``low`` is 85 tokens; ``high`` (and ``auto``, counted as high) fits the image in
    2048x2048, scales its short side down to 768, then costs 85 + 170 per 512-px tile."""
    if detail == "low":
        return 85
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        s = 2048 / max(w, h)
        w, h = w * s, h * s
    if min(w, h) > 768:
        s = 768 / min(w, h)
        w, h = w * s, h * s
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return 85 + 170 * tiles


def anthropic_image_tokens(width: int, height: int) -> int:
    """Claude: about width x height / 750, after its own cut to a long edge of 1568 px."""
    w, h = float(width), float(height)
    if max(w, h) > 1568:
        s = 1568 / max(w, h)
        w, h = w * s, h * s
    return math.ceil(w * h / 750)
