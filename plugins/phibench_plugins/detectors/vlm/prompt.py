"""Versioned prompt files: ``prompts/<name>.yaml`` beside this module, never strings in code.

A prompt file holds ``id``, ``version``, ``format`` (``json``: the structured answer, with the
free-text fallback; ``pipes``: Pixels' pipe-separated list or "No PHI"), ``system`` and ``user``.
``detector.prompt`` names a file in ``prompts/`` or gives a path to one. The prompt's
tag (``id@version``) and the SHA-256 of its text are recorded in the scorecard and are part of
every cache key, so editing a prompt never replays answers given to another prompt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from phibench.exceptions import ConfigError

PROMPTS = Path(__file__).resolve().parent / "prompts"
"""The shipped prompts, versioned YAML (package data beside this module)."""


@dataclass(frozen=True)
class Prompt:
    id: str
    version: str
    format: str
    system: str
    user: str

    @property
    def tag(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.system}\x00{self.user}".encode()).hexdigest()


def prompt_path(name: str) -> Path:
    """The file ``name`` refers to: a path, or a name in ``<config dir>/prompts/``."""
    given = Path(name).expanduser()
    if given.suffix in (".yaml", ".yml") or given.is_absolute() or len(given.parts) > 1:
        return given
    return PROMPTS / f"{name}.yaml"


def load_prompt(name: str) -> Prompt:
    path = prompt_path(name)
    if not path.is_file():
        known = sorted(p.stem for p in (PROMPTS).glob("*.yaml"))
        raise ConfigError(f"detector.prompt: no prompt file {str(path)!r}. Known prompts: "
                          f"{', '.join(known) or '(none)'}; or give a path to a YAML file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        prompt = Prompt(str(raw["id"]), str(raw["version"]), str(raw.get("format", "json")),
                        str(raw.get("system") or "").strip(), str(raw["user"]).strip())
    except (KeyError, TypeError, yaml.YAMLError) as exc:
        raise ConfigError(f"detector.prompt: {path} needs id, version and user ({exc})") from None
    if prompt.format not in ("json", "pipes"):
        raise ConfigError(f"detector.prompt: {path}: format must be json or pipes")
    return prompt
