"""The ``phibench`` command: ``run`` (Hydra), ``plugins``, ``datasets make|list|show``, ``score``,
``table``, ``compare``, ``gate``, ``estimate``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from phibench import __version__
from phibench.exceptions import PhibenchError

USAGE = """\
phibench run [HYDRA OVERRIDES ...]     run a detector over a dataset and write a scorecard
    e.g. phibench run detector=local dataset=synthetic dataset.n=40
         phibench run -m detector=local,flag_all,flag_none
phibench plugins                       list installed plugins and who provides them
phibench datasets make NAME [--n N] [--seed S] [--out DIR]
phibench datasets list                 the registered datasets, a line each
phibench datasets show NAME [dataset.KEY=VALUE ...] [--make]
                                       a dataset's card, sample count and fingerprint
phibench run --force-new [OVERRIDES]   discard an earlier run of another plan in the run directory
phibench score RUN_DIR [--json]        recompute a run's scorecard from its results.parquet
phibench table DIR [DIR ...] [--out D] the announcement's comparison table from runs or a sweep
    e.g. phibench run -m +experiment=pixels_table   (writes the table itself when it ends)
phibench compare RUN RUN [RUN ...] [--format terminal|md|csv|latex|json] [--metrics M,M] [--html FILE]
         [--correction holm] [--alpha 0.05] [--require-same-samples] [--out FILE]
                                       runs side by side, paired differences and tests
phibench gate RUN [--baseline RUN|scorecard.json] [--min M=V] [--max M=V] [--max-drop M=V]
         [--thresholds FILE] [--alpha A] [--strict] [--junit FILE] [--summary FILE]
                                       exit 1 when the run fails a threshold (CI), 2 on misuse
phibench estimate [--json] [--frames N] [--workers N] [--pilot K] [--from RUN_DIR] [HYDRA OVERRIDES ...]
                                       cost and wall time of a run, projected to --frames
    e.g. phibench estimate detector=gpt4o dataset=synthetic dataset.n=200
"""


def _plugins(_: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from phibench.registry import default_registry

    header = ("kind", "name", "plugin (entry point)", "distribution", "class")
    rows = [
        (kind, name, e.plugin, e.distribution, f"{e.cls.__module__}.{e.cls.__qualname__}")
        for kind, entries in default_registry().entries.items()
        for name, e in sorted(entries.items())
    ]
    if not sys.stdout.isatty():  # scripts and pipes get plain tab-separated lines, never cut
        for row in (header, *rows):
            print("\t".join(row))
        return 0
    table = Table(title="phibench plugins")
    for col in header:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    return 0


def _version_text() -> str:
    """``phibench --version``: the version, each plugin's distribution, and which extras are
    installed (a missing one is what ``pip install 'phibench[EXTRA]'`` adds)."""
    from phibench.extras import EXTRA_MODULES, installed
    from phibench.registry import default_registry

    registry = default_registry()
    plugins = sorted({(e.plugin, e.distribution) for kinds in registry.entries.values() for e in kinds.values()}
                     | {(d.plugin, d.distribution) for d in registry.config_dirs})
    width = max((len(p) for p, _ in plugins), default=0)
    lines = [f"phibench {__version__}", "plugins:", *(f"  {p:<{width}}  {d}" for p, d in plugins)]
    have = [f"{x} {'yes' if all(map(installed, mods)) else 'no'}" for x, mods in EXTRA_MODULES.items()]
    return "\n".join([*lines, "extras: " + ", ".join(have)])


def _datasets_make(args: argparse.Namespace) -> int:
    from phibench.registry import default_registry

    params = {k: v for k, v in (("n", args.n), ("seed", args.seed), ("out", args.out)) if v is not None}
    dataset = default_registry().build("dataset", args.name, params)
    print(dataset.make())
    return 0


def _dataset_params(pairs: list[str]) -> dict[str, Any]:
    """``dataset.KEY=VALUE`` (or ``KEY=VALUE``) arguments as parameters, values read as YAML."""
    import yaml

    params: dict[str, Any] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        key = key.removeprefix("dataset.")
        if not eq or not key or "." in key:
            raise PhibenchError(f"expected dataset.KEY=VALUE, got {pair!r}")
        params[key] = yaml.safe_load(value) if value else ""
    return params


def _datasets_list(_: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from phibench.registry import default_registry

    entries = sorted(default_registry().entries.get("dataset", {}).items())
    rows = []
    for name, entry in entries:
        card = getattr(entry.cls, "card", None)
        summary = card.summary.split(". ")[0].rstrip(".") + "." if card else "(no card)"
        rows.append((name, summary, entry.plugin))
    if not sys.stdout.isatty():
        for row in rows:
            print("\t".join(row))
        return 0
    table = Table(title="phibench datasets")
    for col in ("name", "summary", "plugin"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    return 0


def _planned(dataset: Any, make: bool) -> tuple[int, str, str] | str:
    """``(samples, fingerprint, basis)`` as a run of ``dataset`` records them, or why not.

    A generated dataset is planned only once its files are there (or with ``make``): showing a
    card never writes a dataset by surprise.
    """
    from phibench.dataset import Dataset
    from phibench.plan import samples_sha256
    from phibench.provenance import dataset_fingerprint

    generated = type(dataset).make is not Dataset.make
    if generated and not make:
        folder = dataset.folder() if hasattr(dataset, "folder") else None
        if folder is None or not (Path(folder) / "manifest.csv").is_file():
            return "not generated yet (phibench datasets make, or show --make)"
    try:
        tasks = list(dataset.plan())
    except PhibenchError as exc:
        return f"cannot be planned: {exc}"
    except Exception as exc:  # a third party's plan; its message may quote data, so not shown
        return f"cannot be planned ({type(exc).__name__})"
    fingerprint, basis = dataset_fingerprint((s.path for s, _ in tasks), samples_sha256(tasks))
    return len(tasks), fingerprint, basis


def _datasets_show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.panel import Panel

    from phibench.registry import default_registry

    registry = default_registry()
    entry = registry.get("dataset", args.name)
    dataset = registry.build("dataset", args.name, _dataset_params(args.params))
    card = getattr(entry.cls, "card", None)
    console = Console(soft_wrap=not sys.stdout.isatty())
    console.print(f"[bold]{args.name}[/bold]  ({entry.plugin}, {entry.distribution})", highlight=False)
    if card is None:
        console.print("no card: this dataset plugin does not describe itself (Dataset.card)", highlight=False)
    else:
        for label, text in (("summary", card.summary), ("label rules", card.label_rules),
                            ("source", card.source), ("licence", card.licence),
                            ("citation", card.citation), ("format", card.format),
                            ("details", card.details)):
            if text and sys.stdout.isatty():
                console.print(Panel(Markdown(text), title=label, title_align="left"))
            elif text:  # scripts and pipes get every word, never cut at a panel's edge
                print(f"{label}:\n  {text}")
    planned = _planned(dataset, args.make)
    if isinstance(planned, str):
        console.print(f"samples: {planned}", highlight=False)
    else:
        n, fingerprint, basis = planned
        console.print(f"samples: {n}\ndataset fingerprint: {fingerprint}\n  ({basis})", highlight=False)
    return 0


def _score(args: argparse.Namespace) -> int:
    from phibench.run import report

    scorecard = report(Path(args.run_dir), quiet=args.json)
    if args.json:
        print(json.dumps(scorecard, indent=2, default=str))
    return 0


def _table(args: argparse.Namespace) -> int:
    from phibench.experiments.pixels_table import write

    dirs = [Path(d) for d in args.dirs]
    md = write(dirs, Path(args.out) if args.out else dirs[0])
    print(md.read_text())
    return 0


def _compare(args: argparse.Namespace) -> int:
    from phibench.compare import compare, load_all
    from phibench.compare.formats import render, terminal

    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip()) if args.metrics else None
    c = compare(
        load_all(args.runs), **({"metrics": metrics} if metrics else {}), correction=args.correction,
        alpha=args.alpha, require_same=args.require_same_samples, resamples=args.resamples, seed=args.seed,
    )
    for note in c.warnings:
        print(f"phibench: warning: {note}", file=sys.stderr)
    if args.format == "terminal":
        terminal(c)
        text = render(c, "md")
    else:
        text = render(c, args.format)
        print(text, end="")
    if args.out or args.html:
        from phibench import files

        if args.out:
            files.write_text(Path(args.out), text)
        if args.html:
            from phibench.compare.html import render as render_html

            files.write_text(Path(args.html), render_html(c))
    return 0


def _assignment(text: str) -> tuple[str, float]:
    from phibench.gate import parse_assignment

    try:
        return parse_assignment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _gate(args: argparse.Namespace) -> int:
    import os

    from phibench.gate import gate, settings

    s = settings(
        file=Path(args.thresholds) if args.thresholds else None,
        flags={"min": args.min, "max": args.max, "max_drop": args.max_drop},
        alpha=args.alpha, strict=args.strict, correction=args.correction,
    )
    summary = args.summary or os.environ.get("GITHUB_STEP_SUMMARY") or None
    result = gate(args.run, args.baseline, s, junit_path=Path(args.junit) if args.junit else None,
                  summary_path=Path(summary) if summary else None)
    for note in result.notes:
        print(f"phibench gate: {note}")
    for check in result.checks:
        print(check.line())
    failed = sum(not c.passed for c in result.checks)
    print(f"phibench gate: {'passed' if not failed else f'FAILED ({failed} of {len(result.checks)} checks)'}")
    return result.status


ESTIMATE_USAGE = """\
usage: phibench estimate [--json] [--frames N] [--workers N] [--pilot K] [--from RUN_DIR]
                         [--latency SECONDS] [HYDRA OVERRIDES ...]

What a run would cost and how long it would take, before it runs: the config is composed and
validated as for `phibench run` and the dataset is planned. A remote model's tokens come from its
provider's image-token rule (no request is sent); any other detector is measured on a few frames of
the dataset, here and now. The figures per image are then projected to --frames frames on
--workers workers (phibench/projection.py says how).

  --json             print the estimate as JSON only
  --frames N         frames to project to (default 100000)
  --workers N        workers (processes, one core each) to project to (default: the executor's)
  --pilot K          frames a local detector is measured on (default 3)
  --from RUN_DIR     take the figures per image from a finished run of the same detector
  --latency SECONDS  a remote model's latency per request, when no run measured it
  -h, --help         show this help

e.g. phibench estimate detector=gpt4o dataset=synthetic dataset.n=200
     phibench estimate detector=local dataset=folder dataset.root=DIR --workers 16
"""

_ESTIMATE_OPTIONS = {"--frames": int, "--workers": int, "--pilot": int, "--from": Path, "--latency": float}


def _estimate_options(args: list[str]) -> tuple[dict[str, Any], list[str]]:
    """``(options, overrides)``; raises ValueError naming a bad option."""
    options: dict[str, Any] = {}
    rest = []
    it = iter(args)
    for arg in it:
        name, eq, value = arg.partition("=")
        if name in _ESTIMATE_OPTIONS:
            if not eq:
                value = next(it, "")
            try:
                options[name] = _ESTIMATE_OPTIONS[name](value)
            except ValueError:
                raise ValueError(f"{name} needs a {_ESTIMATE_OPTIONS[name].__name__}, got {value!r}") from None
            if name in ("--frames", "--workers", "--pilot") and options[name] < (0 if name == "--pilot" else 1):
                raise ValueError(f"{name} must be {'>= 0' if name == '--pilot' else '>= 1'}")
        elif arg.startswith("-") and arg != "--json":
            raise ValueError(f"estimate takes no option {arg}")
        else:
            rest.append(arg)
    return options, rest


def _estimate(overrides: list[str]) -> int:
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from phibench.config import config_dir, register_configs
    from phibench.estimate import estimate, format_estimate
    from phibench.hydra_app import check_parameter_keys, check_plugin_names, default_executor
    from phibench.registry import default_registry

    if {"-h", "--help"} & set(overrides):
        print(ESTIMATE_USAGE, end="")
        return 0
    try:
        options, overrides = _estimate_options(overrides)
    except ValueError as exc:
        print(f"phibench: error: {exc}\n\n{ESTIMATE_USAGE}", file=sys.stderr, end="")
        return 2
    as_json = "--json" in overrides
    overrides = [o for o in overrides if o != "--json"]
    registry = default_registry()
    overrides = default_executor(overrides)  # an estimate runs no executor: a light install needs none
    try:
        check_plugin_names(overrides, registry)
        check_parameter_keys(overrides, registry)
        register_configs(registry)
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            cfg = compose("run", overrides=overrides)
        result = estimate(cfg, registry, frames=options.get("--frames", 100_000),
                          workers=options.get("--workers"), pilot=options.get("--pilot", 3),
                          from_run=options.get("--from"), latency_s=options.get("--latency"))
    except PhibenchError as exc:
        print(f"phibench: error: {exc}", file=sys.stderr)
        return 2
    except (HydraException, OmegaConfBaseException) as exc:
        msg = " ".join(str(exc).split())
        print(f"phibench: error: {msg}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if as_json else format_estimate(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--version"]:
        print(_version_text())
        return 0
    if argv and argv[0] == "estimate":
        return _estimate(argv[1:])
    if argv and argv[0] == "run":
        from phibench.hydra_app import main as run_main

        try:
            return run_main(argv[1:])
        except PhibenchError as exc:
            print(f"phibench: error: {exc}", file=sys.stderr)
            return 2
    parser = argparse.ArgumentParser(prog="phibench", usage=USAGE)
    parser.add_argument("--version", action="store_true", help="the version, plugins and extras installed")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run a benchmark (Hydra overrides follow)")
    sub.add_parser("estimate", help="dry-run cost estimate (Hydra overrides follow)")
    sub.add_parser("plugins", help="list installed plugins").set_defaults(func=_plugins)
    datasets = sub.add_parser("datasets", help="dataset tools").add_subparsers(dest="action", required=True)
    make = datasets.add_parser("make", help="generate a dataset's files")
    make.add_argument("name")
    make.add_argument("--n", type=int)
    make.add_argument("--seed", type=int)
    make.add_argument("--out")
    make.set_defaults(func=_datasets_make)
    datasets.add_parser("list", help="the registered datasets, one line each").set_defaults(func=_datasets_list)
    show = datasets.add_parser("show", help="a dataset's card, and its sample count and fingerprint")
    show.add_argument("name")
    show.add_argument("params", nargs="*", metavar="dataset.KEY=VALUE", help="dataset parameters")
    show.add_argument("--make", action="store_true", help="generate a generated dataset first")
    show.set_defaults(func=_datasets_show)
    score = sub.add_parser("score", help="recompute a scorecard from results.parquet")
    score.add_argument("run_dir")
    score.add_argument("--json", action="store_true", help="print the scorecard JSON")
    score.set_defaults(func=_score)
    table = sub.add_parser("table", help="comparison table of several runs (pixels_table layout)")
    table.add_argument("dirs", nargs="+", help="run folders, or a sweep folder holding them")
    table.add_argument("--out", help="where to write pixels_table.md/.json (default: the first DIR)")
    table.set_defaults(func=_table)
    cmp = sub.add_parser("compare", help="compare runs: side-by-side table, paired differences and tests")
    cmp.add_argument("runs", nargs="+", help="run folders (or sweep folders holding them, or scorecard.json files)")
    cmp.add_argument("--format", choices=("terminal", "md", "csv", "latex", "json"), default="terminal")
    cmp.add_argument("--metrics", help="comma-separated metrics to test (default: recall,precision,"
                     "specificity,npv,accuracy,error_rate)")
    cmp.add_argument("--correction", default="holm", help="multiple-comparison correction over the pairs "
                     "(holm, bonferroni, fdr_bh, ..., none; default holm)")
    cmp.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    cmp.add_argument("--require-same-samples", action="store_true", help="refuse runs whose samples differ")
    cmp.add_argument("--resamples", type=int, default=2000, help="paired bootstrap resamples (default 2000)")
    cmp.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    cmp.add_argument("--out", help="also write the output to FILE (Markdown for --format terminal)")
    cmp.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page (plots, tables, provenance)")
    cmp.set_defaults(func=_compare)
    gate = sub.add_parser("gate", help="fail (exit 1) when a run misses its thresholds or drops from a baseline")
    gate.add_argument("run", help="the run folder to check (or its scorecard.json)")
    gate.add_argument("--baseline", help="a run folder or a committed scorecard.json")
    for flag, what in (("--min", "the run's METRIC must be at least VALUE"),
                       ("--max", "the run's METRIC must be at most VALUE"),
                       ("--max-drop", "METRIC may fall at most VALUE below the baseline")):
        gate.add_argument(flag, action="append", type=_assignment, default=[], metavar="METRIC=VALUE", help=what)
    gate.add_argument("--thresholds", help="YAML or JSON file with min, max, max_drop (flags win)")
    gate.add_argument("--alpha", type=float, help="significance level of drop tests (default 0.05)")
    gate.add_argument("--strict", action="store_true", help="fail any drop beyond --max-drop, significant or not")
    gate.add_argument("--correction", help="correction over the drop tests (default holm; none)")
    gate.add_argument("--junit", help="write JUnit XML to FILE")
    gate.add_argument("--summary", help="append a Markdown summary to FILE (default: $GITHUB_STEP_SUMMARY)")
    gate.set_defaults(func=_gate)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except PhibenchError as exc:
        print(f"phibench: error: {exc}", file=sys.stderr)
        return 2
