"""Optional extras: a plugin whose engine is not installed is one clear line naming the extra, on
the driver before anything runs; without Spark a run goes inline and says so. Absence is real:
each command runs in a fresh interpreter where the module cannot be imported
(a finder first on ``sys.meta_path`` answers "no such module" for it, as for one not installed).
Only :mod:`phibench.spark` imports pyspark, and only its ``pyspark.ml`` stages when they load."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import phibench
import phibench_plugins
from phibench import extras


def absent(blocked: list[str]) -> str:
    """Python that makes the top-level modules ``blocked`` unimportable in this interpreter."""
    return f"""import sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {set(blocked)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Absent())
"""


def run(tmp_path, blocked: list[str], *args: str, command: str = "run") -> subprocess.CompletedProcess:
    code = absent(blocked) + """from phibench.cli import main
sys.exit(main(sys.argv[1:]))
"""
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PHIBENCH_DATA_DIR": str(tmp_path / "data")}
    tail = [f"hydra.run.dir={tmp_path / 'run'}", "run.progress=false", "reporters=[json]"] if command == "run" else []
    return subprocess.run([sys.executable, "-c", code, command, *args, "dataset=synthetic", "dataset.n=2", *tail],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize(("blocked", "args", "extra"), [
    (["rapidocr_onnxruntime"], ["detector=local"], "rapidocr"),
    (["easyocr"], ["detector=local", "detector.ocr.name=easyocr"], "easyocr"),
    (["torch"], ["detector=flag_none", "redactor=easyocr"], "easyocr"),
    (["rapidocr_onnxruntime"], ["detector=flag_none", "redactor=rapidocr"], "rapidocr"),
    (["presidio_analyzer"], ["detector=presidio"], "presidio"),
    (["pyspark"], ["detector=flag_none", "executor=spark"], "spark"),
    (["rapidocr_onnxruntime"], ["detector=local", "detector.ocr.name=ensemble"], "rapidocr"),  # a member's extra
])
def test_a_missing_extra_is_named_before_anything_runs(tmp_path, blocked, args, extra):
    out = run(tmp_path, blocked, *args)
    assert out.returncode == 2, out.stderr[-2000:]
    assert f"needs the {extra!r} extra" in out.stderr and f"pip install 'phibench[{extra}]'" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "run" / "results.parquet").exists()


def test_without_spark_the_default_run_goes_inline_and_says_so(tmp_path):
    out = run(tmp_path, ["pyspark"], "detector=flag_none")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pyspark is not installed (the 'spark' extra): running with executor=inline" in out.stderr
    assert "executor: inline" in (tmp_path / "run" / ".hydra" / "config.yaml").read_text() or \
        "name: inline" in (tmp_path / "run" / ".hydra" / "config.yaml").read_text()


def test_every_extra_a_plugin_names_is_declared_by_the_package():
    from importlib.metadata import metadata

    from phibench.registry import default_registry

    declared = set(metadata("phibench").get_all("Provides-Extra") or [])
    registry = default_registry()
    named = {extra for kind in registry.entries for e in registry.entries[kind].values() for extra in e.cls.requires}
    assert named and named <= declared and set(extras.EXTRAS) <= declared


def test_an_estimate_needs_no_executor_extra(tmp_path):
    out = run(tmp_path, ["pyspark"], "detector=gpt4o", command="estimate")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "USD" in out.stdout or "$" in out.stdout


# -- who imports pyspark ---------------------------------------------------------------------

PACKAGES = {"phibench": Path(phibench.__file__).parent, "phibench_plugins": Path(phibench_plugins.__file__).parent}
PYSPARK_STAGES = {"phibench.spark.transformers"}
"""The only modules that import pyspark when they load: the ``pyspark.ml`` stages (a user of
them has pyspark). The executor, its registration and the worker functions import it when run."""


def modules() -> dict[str, Path]:
    out = {}
    for package, root in PACKAGES.items():
        for path in sorted(root.rglob("*.py")):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def load_time_imports(name: str, path: Path) -> set[str]:
    """What module ``name`` (at ``path``) imports when it loads: its body and the blocks in it (a
    class body, ``if``, ``try``), not function bodies (they import when called) nor
    ``if TYPE_CHECKING:``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                out.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                out.add(base)
                out.update(f"{base}.{alias.name}" for alias in node.names)
            for field in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, field, None) or [])

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return out


def imports_pyspark(names: set[str]) -> bool:
    return any(n == "pyspark" or n.startswith("pyspark.") for n in names)


def load_closure(module: str, known: dict[str, Path]) -> set[str]:
    """``module`` and every module of ours that loading it loads (parent packages included)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        parents = [".".join(m.split(".")[:i]) for i in range(1, m.count(".") + 1)]
        for name in (m, *parents):
            if name in known and name not in seen:
                seen.add(name)
                todo.extend(t for t in load_time_imports(name, known[name]) if t in known)
    return seen


def test_the_import_reader_sees_load_time_imports_only():
    known = modules()
    def of(name: str) -> set[str]:
        return load_time_imports(name, known[name])

    assert imports_pyspark(of("phibench.spark.transformers"))
    assert not imports_pyspark(of("phibench.spark.worker"))  # inside a function
    assert "phibench.spark.transformers" not in of("phibench.spark")  # under TYPE_CHECKING
    assert "phibench.spark.session" in load_closure("phibench.spark.executor", known)


def test_only_the_spark_stages_import_pyspark_when_they_load():
    known = modules()
    loading = [m for m, path in known.items() if imports_pyspark(load_time_imports(m, path))]
    assert sorted(loading) == sorted(PYSPARK_STAGES)
    for module in ("phibench_plugins.executors", "phibench.spark", "phibench.spark.executor",
                   "phibench.spark.worker", "phibench.spark.detect"):
        assert not load_closure(module, known) & PYSPARK_STAGES, module


def test_without_pyspark_the_spark_package_loads_and_only_its_stages_fail():
    code = absent(["pyspark"]) + """import phibench.spark as s
import phibench.spark.worker, phibench.spark.detect
from phibench.registry import default_registry
assert default_registry().entries["executor"]["spark"].cls is s.SparkExecutor
try:
    s.PhiDetector
except ModuleNotFoundError as exc:
    print("stages:", exc.name)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "stages: pyspark"
