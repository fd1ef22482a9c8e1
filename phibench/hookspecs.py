"""The whole plugin contract of phibench.

A plugin is a module (or object) with functions named like the hooks below, marked with
:data:`hookimpl`, and listed under the ``phibench`` entry-point group of its distribution::

    [project.entry-points.phibench]
    my_detectors = "my_package.detectors"

Each ``phibench_register_*`` hook receives a :class:`~phibench.registry.Register` for one kind and
adds classes to it by name. The core calls each hook once per process, when the registry is first
built, and afterwards works with the classes directly: pluggy wires plugins, it is not in the
per-image loop. phibench's built-in plugins (``phibench_plugins``) register through the same
entry-point group, so a third party has exactly their powers.

A registered class subclasses the base of its kind, declares a ``Params`` dataclass (its config
schema: every field typed and defaulted) and takes one ``Params`` instance in ``__init__``.
Constructors must be cheap; heavy models load in ``setup()``, once per worker process.

=================  ===========================================  ===============================
hook               kind: base class                             config group / CLI
=================  ===========================================  ===============================
register_detectors detector: :class:`phibench.detector.Detector`  ``detector=NAME``
register_redactors redactor: :class:`phibench.redactor.Redactor`  ``redactor=NAME``
register_datasets  dataset: :class:`phibench.dataset.Dataset`     ``dataset=NAME``
register_executors executor: :class:`phibench.executor.Executor`  ``executor=NAME``
register_reporters reporter: :class:`phibench.reporter.Reporter`  ``reporters=[NAME, ...]``
register_ocr_engines ocr: :class:`phibench.ocr.OcrEngine`          ``detector.ocr.name=NAME``, ``redactor.ocr.name=NAME``
=================  ===========================================  ===============================

A plugin may also ship presets and named sweeps as YAML: ``phibench_config_dirs`` returns the
folders that hold them (see its docstring).

Every kind in a few lines
-------------------------
Each class below is registered with ``register.add("name", Cls)`` in its kind's hook; every name
used is importable from :mod:`phibench`. ``Params`` is the config schema (``detector.k=v``);
``requires = {"extra": ("module",)}`` names an optional dependency, checked before a run.
``register.add("name", Cls, **defaults)`` registers the same class again under another name with
other parameter defaults (a preset, as ``gpt4o`` and ``llama4_maverick`` are one OpenAI chat
detector class); a default of ``omegaconf.MISSING`` makes that parameter mandatory.

*Detector* -- answer, for one rendered frame, whether PHI is burned in::

    class HeaderFlag(Detector):
        needs_header = True                          # Frame.header holds the DICOM dataset
        @dataclass
        class Params:
            missing_means_phi: bool = True
        def detect(self, frame: Frame) -> Detection:  # raising is fine: it becomes this frame's error
            v = frame.header.get("BurnedInAnnotation")
            return Detection(has_phi=v == "YES" or (v is None and self.params.missing_means_phi))

  Remote detectors override ``detect_many(frames)`` for concurrency; load models in ``setup()``.
  ``phibench.testing.plugins.check_detector`` checks one against the contract in your tests.

*OCR engine* -- read text boxes, shared by detectors and redactors (``detector.ocr.name=NAME``)::

    class MyOcr(OcrEngine):
        def setup(self): self.model = load()          # once per worker
        def read(self, image) -> list[TextBox]: ...   # image: the frame's uint8 pixels

*Redactor* -- choose the boxes to mask; the core masks the stored values and writes the DICOM::

    class Everything(Redactor):                       # Params extend RedactorParams
        def boxes(self, frame, detection): return [(0, 0, frame.image.shape[1], frame.image.shape[0])]

*Dataset* -- plan samples with their ground truth::

    class MyFiles(Dataset):
        def plan(self): yield Sample("a.dcm#0", "/data/a.dcm", 0, "mine"), GroundTruth(has_phi=True)

*Executor* -- run the per-sample pipeline somewhere (the built-ins: ``inline``, ``spark``);
  see :class:`phibench.executor.Executor`.

*Reporter* -- turn a finished scorecard (a :class:`~phibench.records.Scorecard`: typed, frozen,
  ``to_dict()`` is ``scorecard.json``) into an output; parameters come from its ``Params``
  (``'reporters=[json,{name: summary_csv, decimals: 2}]'``)::

    class SummaryCsv(Reporter):
        def report(self, scorecard: Scorecard, run_dir: Path) -> None:
            (run_dir / "summary.csv").write_text(f"recall,{scorecard.metrics['recall'].value}")

A complete, installable example (a detector, a preset YAML, a reporter with parameters) is
``tests/plugin_package/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import os

    from phibench.registry import Register

PROJECT = "phibench"
"""The pluggy project name, which is also the entry-point group."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def phibench_register_detectors(register: "Register") -> None:
    """Add detector classes: ``register.add("name", MyDetector)``, or a preset of one with
    ``register.add("name", MyDetector, **defaults)``.

    A detector subclasses :class:`phibench.detector.Detector` and answers, for one rendered
    frame, whether PHI is burned in (with the entities it found), or reports an error.
    """


@hookspec
def phibench_register_redactors(register: "Register") -> None:
    """Add redactor classes (:class:`phibench.redactor.Redactor`): each chooses the boxes to mask
    in a frame (``boxes(frame, detection)``); the core applies the policy, masks the stored values
    and writes the redacted DICOM (:mod:`phibench.redaction`). ``Params`` extend
    :class:`phibench.redactor.RedactorParams`."""


@hookspec
def phibench_register_datasets(register: "Register") -> None:
    """Add dataset classes (:class:`phibench.dataset.Dataset`) that plan samples with ground truth."""


@hookspec
def phibench_register_executors(register: "Register") -> None:
    """Add executor classes (:class:`phibench.executor.Executor`) that run the per-sample pipeline."""


@hookspec
def phibench_register_reporters(register: "Register") -> None:
    """Add reporter classes (:class:`phibench.reporter.Reporter`) that write or show a scorecard.

    After every run (and ``phibench score``), the core calls ``report(scorecard, run_dir)`` of
    each reporter in ``reporters``, in order, with the run's :class:`phibench.records.Scorecard`.
    A reporter reads its fields (``scorecard.confusion.fn``, ``scorecard.metrics["recall"].ci_low``);
    ``scorecard.to_dict()`` is the JSON-ready form, exactly what ``scorecard.json`` holds."""


@hookspec
def phibench_register_ocr_engines(register: "Register") -> None:
    """Add OCR engine classes (:class:`phibench.ocr.OcrEngine`) shared by detectors and redactors."""


@hookspec
def phibench_config_dirs() -> "list[str | os.PathLike[str]]":
    """Folders of config YAML this plugin ships inside its package, each laid out by config group:
    ``detector/NAME.yaml`` (a preset of a detector this or another plugin registers),
    ``dataset/``, ``executor/``, ``redactor/``, and ``experiment/NAME.yaml`` (``+experiment=NAME``;
    a first line ``# @package _global_`` places it at the top, as in Hydra).

    A plugin YAML states only what differs from its plugin's ``Params`` defaults: phibench merges
    it over them (the schema node) and stores the result in Hydra's ConfigStore, so ``detector=NAME``
    composes it like any shipped config. ``NAME`` must be the registered name (a ``name:`` key, if
    given, must agree). Two distributions shipping the same ``group/NAME`` is an error that names
    both. Other files in the folder (prompts, price tables) are the plugin's own data.

    Example, in ``my_package/__init__.py`` beside the package's ``conf/`` folder::

        @hookimpl
        def phibench_config_dirs():
            return [Path(__file__).parent / "conf"]
    """
