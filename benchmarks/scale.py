"""Scale: planning, a whole no-op run and scoring over 10k vs 100k tiny frames.

Generates N tiny single-frame DICOM files (16x16 uint8 MONOCHROME2, Explicit VR Little Endian,
no PHI: one serialised template with its SOP Instance UID and pixel bytes patched per file)
under ``--data`` (cached: made once for the largest N, then reused), with one labels CSV per N
in the ``folder`` dataset's format (``path,has_phi``; no ``frame`` column, so planning reads
every file's header for its frame count, as a real run does). Then, for each N, each stage runs
in a fresh subprocess whose wall time, CPU time (user + sys) and peak RSS come from ``wait4``:

* ``plan``  -- :func:`phibench.plan.plan` (labels, one header read per file, fingerprint) then
  :func:`phibench.plan.bind` (``plan.json`` + ``planned.parquet``) into a scratch directory;
* ``run``   -- ``phibench run detector=flag_none dataset=folder ... executor=inline`` through the
  real CLI code (:func:`phibench.cli.main`), default reporters, progress bar off;
* ``score`` -- ``phibench score RUN_DIR`` (the same CLI), on the run just made;
* ``parts`` -- part files in ``results.parquet`` after the run, the time to read them with
  pyarrow, to pandas and through ``ResultStore.read``, and the same table compacted into one
  file (written to scratch, never into the run) read back, for comparison.

Inside each child, phibench functions are wrapped (at run time, nothing is edited) to time
their phases and record the peak-RSS high-water mark after each, so the table says which phase
set the peak. ``--tracemalloc`` adds a traced pass of ``plan`` and ``score`` (peak, and the top
allocation sites at the moment the planned tasks / the scored frame are alive);
``--profile`` adds a cProfile pass of each stage (stats under ``DATA/profiles``). Only timings,
counts, sizes and code locations are printed: never a header value, a path of a file, or text.

    .venv/bin/python benchmarks/scale.py --sizes 10000,100000 --repeats 3 --large-repeats 1
    .venv/bin/python benchmarks/scale.py --sizes 10000,30000 --stages plan,score --tracemalloc
    .venv/bin/python benchmarks/scale.py --sizes 30000 --repeats 1 --profile --stages plan,run,score
    .venv/bin/python benchmarks/scale.py --sizes 10000,100000 --stages plan,run,score \
        --tracemalloc --profile --extras-only     # trace/profile the runs an earlier call kept
    .venv/bin/python benchmarks/scale.py generate --n 100000      # only make the files

Ratios are largest N / smallest N of the medians (goal: <= 11x for a 10x larger N), for the
whole process and for the growth above a tiny run's (``--baseline-n``, default 100) fixed cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
DEFAULT_DATA = Path("/tmp/scale-data")
PER_DIR = 1000
UID_ROOT = "1.2.826.0.1.3680043.10.9999."
"""A made-up UID root; a file's SOP Instance UID is this plus ``1`` and its 9-digit index
(38 characters, an even length: no padding byte, the same length for every file)."""


# -- data --------------------------------------------------------------------------------------


def _uid(i: int) -> str:
    return f"{UID_ROOT}1{i:09d}"


def _template(px: int) -> tuple[bytes, list[int], int]:
    """The serialised template file, the offsets of its SOP Instance UID (meta and dataset) and
    the offset of its pixel bytes (the last element)."""
    import io

    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage

    placeholder = _uid(0)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = placeholder
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = placeholder
    ds.StudyInstanceUID = UID_ROOT + "2"
    ds.SeriesInstanceUID = UID_ROOT + "3"
    ds.Modality = "OT"
    ds.Rows = ds.Columns = px
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(px * px)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    blob = buf.getvalue()
    needle = placeholder.encode()
    offsets, start = [], 0
    while (at := blob.find(needle, start)) >= 0:
        offsets.append(at)
        start = at + 1
    assert len(offsets) == 2, offsets
    return blob, offsets, len(blob) - px * px


def generate(data: Path, n: int, px: int = 16, phi_share: float = 0.5) -> tuple[Path, Path]:
    """``(root, labels)`` for ``n`` files; files are made once (for the largest ``n`` asked)."""
    import numpy as np

    folder = data / f"tiny{px}"
    root = folder / "images"
    marker = folder / "made.json"
    made = json.loads(marker.read_text())["n"] if marker.exists() else 0
    if made < n:
        blob, uid_at, pix_at = _template(px)
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for i in range(made, n):
            if i % PER_DIR == 0:
                (root / f"d{i // PER_DIR:04d}").mkdir(parents=True, exist_ok=True)
            b = bytearray(blob)
            uid = _uid(i).encode()
            for at in uid_at:
                b[at:at + len(uid)] = uid
            b[pix_at:] = rng.integers(0, 256, px * px, dtype=np.uint8).tobytes()
            with open(root / f"d{i // PER_DIR:04d}" / f"f{i:07d}.dcm", "wb") as fh:
                fh.write(b)
        marker.write_text(json.dumps({"n": n, "px": px}))
        print(f"generated {n - made} files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        _check_files(root, [0, n - 1], px)
    labels = folder / f"labels-{n}-phi{phi_share:g}.csv"
    if not labels.exists():
        every = round(1 / phi_share) if phi_share > 0 else 0
        tmp = labels.with_suffix(".tmp")
        with open(tmp, "w") as fh:
            fh.write("path,has_phi\n")
            for i in range(n):
                phi = "true" if every and i % every == 0 else "false"
                fh.write(f"d{i // PER_DIR:04d}/f{i:07d}.dcm,{phi}\n")
        tmp.rename(labels)
    return root, labels


def _check_files(root: Path, which: list[int], px: int) -> None:
    """The patched files parse and decode (nothing about their values is printed)."""
    import pydicom

    seen = set()
    for i in which:
        ds = pydicom.dcmread(root / f"d{i // PER_DIR:04d}" / f"f{i:07d}.dcm")
        assert ds.pixel_array.shape == (px, px)
        assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
        seen.add(ds.SOPInstanceUID)
    assert len(seen) == len(set(which))


# -- children: one stage in a fresh process --------------------------------------------------------


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Phases:
    """Wraps functions to add up their wall and CPU time and note the RSS high-water mark after
    each call (so the phase that set the process's peak can be told)."""

    def __init__(self) -> None:
        self.stats: dict[str, dict[str, float]] = {}

    def wrap(self, owner: object, attr: str, name: str) -> None:
        fn = getattr(owner, attr)

        def timed(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                s = self.stats.setdefault(name, {"calls": 0, "wall_s": 0.0, "cpu_s": 0.0})
                s["calls"] += 1
                s["wall_s"] += time.perf_counter() - t0
                s["cpu_s"] += time.process_time() - c0
                s["maxrss_mb_after"] = round(_maxrss_mb(), 1)

        setattr(owner, attr, timed)

    def out(self) -> dict[str, dict[str, float]]:
        return {k: {kk: round(vv, 3) if isinstance(vv, float) else vv for kk, vv in v.items()}
                for k, v in self.stats.items()}


def _cfg(root: Path, labels: Path) -> dict:
    return {
        "detector": {"name": "flag_none"},
        "dataset": {"name": "folder", "root": str(root), "labels": str(labels)},
        "executor": {"name": "inline"},
        "run": {"progress": False},
    }


def _run_argv(root: Path, labels: Path, run_dir: Path) -> list[str]:
    return ["run", "detector=flag_none", "dataset=folder", f"dataset.root={root}",
            f"dataset.labels={labels}", "executor=inline", "run.progress=false",
            f"hydra.run.dir={run_dir}"]


def _snapshot_top(limit: int = 12) -> list[dict]:
    import tracemalloc

    snap = tracemalloc.take_snapshot().filter_traces([
        tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")])
    import pyarrow as pa

    stats = snap.statistics("lineno")
    total = sum(s.size for s in stats)
    top = [{"where": f"{_short(s.traceback[0].filename)}:{s.traceback[0].lineno}",
            "mb": round(s.size / 2**20, 2), "blocks": s.count} for s in stats[:limit]]
    pool = pa.default_memory_pool()
    return [{"where": "(all traced by Python, at this point)", "mb": round(total / 2**20, 2)},
            {"where": f"(Arrow {pool.backend_name} pool, not traced: now / max)",
             "mb": [round(pool.bytes_allocated() / 2**20, 2), round(pool.max_memory() / 2**20, 2)]},
            {"where": "(process maxrss so far)", "mb": round(_maxrss_mb(), 1)}, *top]


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    try:
        return str(Path(filename).resolve().relative_to(REPO))
    except ValueError:
        return filename


def child(args: argparse.Namespace) -> None:
    """One stage in this (fresh) process; writes its in-process figures to ``args.report``."""
    import pyarrow.parquet as pq  # noqa: F401 - imports before the baseline, like the stage's

    import phibench.cli
    import phibench.hydra_app  # noqa: F401
    import phibench.plan as P
    import phibench.results as R
    import phibench.run as RUN
    from phibench_plugins.executors import inline
    from phibench_plugins.reporters import cases, html_reporter, markdown_reporter  # noqa: F401

    root, labels, run_dir = Path(args.root), Path(args.labels), Path(args.run_dir)
    out: dict = {"stage": args.stage, "maxrss_mb_after_imports": round(_maxrss_mb(), 1)}
    ph = _Phases()
    ph.wrap(P, "plan_tasks", "plan.plan_tasks (labels + header reads)")
    ph.wrap(P, "_components", "plan._components (samples hash)")
    ph.wrap(RUN, "make_plan", "run: plan")
    ph.wrap(RUN, "bind", "run: bind (plan.json, planned.parquet)")
    ph.wrap(RUN, "_write_meta", "run: _write_meta (dataset fingerprint: hash every file)")
    ph.wrap(inline.InlineExecutor, "execute", "run: executor.execute (pipeline + part writes)")
    ph.wrap(R.ResultStore, "append", "ResultStore.append (one part file)")
    ph.wrap(R.ResultStore, "done_ids", "ResultStore.done_ids")
    if hasattr(R.ResultStore, "compact"):  # a finished run merges its parts (newer phibench)
        ph.wrap(R.ResultStore, "compact", "ResultStore.compact (merge the parts)")
    ph.wrap(R.ResultStore, "read", "ResultStore.read (whole results.parquet to pandas)")
    ph.wrap(RUN, "planned_ids", "report: planned_ids")
    ph.wrap(cases, "planned_ids", "reporters: planned_ids")
    ph.wrap(RUN, "build_scorecard", "report: build_scorecard")
    ph.wrap(cases, "select", "reporters: cases.select")
    ph.wrap(markdown_reporter.MarkdownReporter, "report", "reporter markdown")
    ph.wrap(html_reporter.HtmlReporter, "report", "reporter html")
    ph.wrap(RUN, "report", "run/score: report (read, score, all reporters)")

    traced: dict = {}
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(1)
        if args.stage == "plan":
            real_bind = P.bind

            def bind_traced(run_dir_, p, **kw):  # the planned tasks are alive here
                traced["at bind (tasks alive)"] = _snapshot_top()
                return real_bind(run_dir_, p, **kw)

            P.bind = bind_traced
        real_build = RUN.build_scorecard

        def build_traced(df, **kw):  # the results frame is alive here
            if "at build_scorecard (frame alive)" not in traced:
                traced["at build_scorecard (frame alive)"] = _snapshot_top()
            return real_build(df, **kw)

        RUN.build_scorecard = build_traced
        real_select = cases.select

        def select_traced(df):  # a reporter's own frame is alive here, and report()'s
            if "at reporters' cases.select (two frames alive)" not in traced:
                traced["at reporters' cases.select (two frames alive)"] = _snapshot_top()
            return real_select(df)

        cases.select = select_traced

    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    if args.stage == "plan":
        from phibench.registry import default_registry

        registry = default_registry()
        t1 = time.perf_counter()
        p = P.plan(_cfg(root, labels), registry, run_dir)
        out["plan_s"] = round(time.perf_counter() - t1, 3)
        out["tasks"] = len(p.tasks)
        run_dir.mkdir(parents=True, exist_ok=True)
        t1 = time.perf_counter()
        P.bind(run_dir, p)
        out["bind_s"] = round(time.perf_counter() - t1, 3)
    elif args.stage == "run":
        with open(run_dir.parent / "run.log", "w") as log, _redirect(log):
            status = phibench.cli.main(_run_argv(root, labels, run_dir))
        out["exit_status"] = status
    elif args.stage == "score":
        with open(run_dir.parent / "score.log", "w") as log, _redirect(log):
            status = phibench.cli.main(["score", str(run_dir)])
        out["exit_status"] = status
    elif args.stage == "parts":
        out |= _parts(run_dir, R)
    else:
        raise SystemExit(f"unknown stage {args.stage}")
    out["stage_wall_s"] = round(time.perf_counter() - t0, 3)
    out["stage_cpu_s"] = round(time.process_time() - c0, 3)
    if prof is not None:
        prof.disable()
        prof.dump_stats(args.profile)
        _write_profile_text(args.profile)
    if args.tracemalloc:
        import tracemalloc

        out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        out["tracemalloc_top"] = traced
    out["phases"] = ph.out()
    out["maxrss_mb_end"] = round(_maxrss_mb(), 1)
    Path(args.report).write_text(json.dumps(out, indent=2))


class _redirect:
    """stdout/stderr (file descriptors too) into ``log``: the terminal reporter and Hydra write
    there, and nothing of the run is shown by this script."""

    def __init__(self, log) -> None:
        self.log = log

    def __enter__(self):
        sys.stdout.flush(), sys.stderr.flush()
        self.saved = os.dup(1), os.dup(2)
        os.dup2(self.log.fileno(), 1), os.dup2(self.log.fileno(), 2)

    def __exit__(self, *exc):
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(self.saved[0], 1), os.dup2(self.saved[1], 2)
        os.close(self.saved[0]), os.close(self.saved[1])


def _parts(run_dir: Path, R) -> dict:
    import pyarrow.parquet as pq

    def clock() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def since(t: tuple[float, float]) -> list[float]:
        return [round(time.perf_counter() - t[0], 3), round(time.process_time() - t[1], 3)]

    folder = run_dir / "results.parquet"
    parts = sorted(folder.glob("*.parquet"))
    out: dict = {"part_files": len(parts), "parts_mb": round(sum(p.stat().st_size for p in parts) / 2**20, 2)}
    out["timings"] = "[wall s, CPU s]"
    t0 = clock()
    table = pq.read_table(folder, schema=R.SCHEMA)
    out["read_arrow"] = since(t0)
    out["rows"] = table.num_rows
    out["chunks_per_column"] = table.column(0).num_chunks
    t0 = clock()
    table.to_pandas()
    out["to_pandas"] = since(t0)
    t0 = clock()
    R.ResultStore(run_dir).read()
    out["resultstore_read"] = since(t0)
    compact = run_dir.parent / "compacted" / "results.parquet"
    shutil.rmtree(compact.parent, ignore_errors=True)
    compact.mkdir(parents=True)
    t0 = clock()
    pq.write_table(table.combine_chunks(), compact / "part-0.parquet", row_group_size=64 * 1024)
    out["compact_write"] = since(t0)
    out["compacted_mb"] = round((compact / "part-0.parquet").stat().st_size / 2**20, 2)
    del table
    t0 = clock()
    pq.read_table(compact, schema=R.SCHEMA)
    out["compacted_read_arrow"] = since(t0)
    t0 = clock()
    R.ResultStore(compact.parent).read()
    out["compacted_resultstore_read"] = since(t0)
    shutil.rmtree(compact.parent, ignore_errors=True)
    return out


def _write_profile_text(path: str) -> None:
    import io
    import pstats

    buf = io.StringIO()
    st = pstats.Stats(path, stream=buf)
    st.sort_stats("tottime").print_stats(30)
    st.sort_stats("cumulative").print_stats(45)
    Path(path).with_suffix(".txt").write_text(buf.getvalue())


# -- parent: measure each child ---------------------------------------------------------------


def measure(stage: str, root: Path, labels: Path, run_dir: Path, *, tracemalloc: bool = False,
            profile: str | None = None) -> dict:
    report = run_dir.parent / f"{stage}{'-traced' if tracemalloc else ''}{'-prof' if profile else ''}.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE), "_child", stage, "--root", str(root), "--labels", str(labels),
           "--run-dir", str(run_dir), "--report", str(report)]
    if tracemalloc:
        cmd.append("--tracemalloc")
    if profile:
        cmd += ["--profile", profile]
    env = dict(os.environ, SPARK_LOCAL_IP=os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not report.exists():
        raise SystemExit(f"stage {stage} failed (exit {proc.returncode}); see {run_dir.parent}/*.log")
    inner = json.loads(report.read_text())
    return {"wall_s": round(wall, 3), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "peak_rss_mb": round(ru.ru_maxrss / 1024, 1), "inner": inner}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def bench(args: argparse.Namespace) -> dict:
    data = Path(args.data)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    stages = [s for s in args.stages.split(",") if s]
    generate(data, max(sizes + [args.baseline_n]), args.px, args.phi_share)
    result: dict = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                    "px": args.px, "phi_share": args.phi_share, "stages": stages, "sizes": {}}
    plan_of = ["baseline"] if args.baseline_n else []
    for n in [*plan_of, *sizes]:
        n_files = args.baseline_n if n == "baseline" else n
        root, labels = generate(data, n_files, args.px, args.phi_share)
        repeats = 1 if n == "baseline" else (args.repeats if n == sizes[0] else args.large_repeats)
        key = f"baseline-{n_files}" if n == "baseline" else str(n)
        per: dict = {"n": n_files, "repeats": repeats, "runs": []}
        if args.extras_only:
            if n == "baseline":
                continue
            if _last_run(data, key) is None:
                raise SystemExit(f"--extras-only: no finished run for n={n_files} under {data / 'runs'}")
            repeats = 0
        for r in range(repeats):
            base = data / "runs" / f"{key}-r{r}"
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir(parents=True)
            rec: dict = {"load_before": _load()}
            if "plan" in stages:
                rec["plan"] = measure("plan", root, labels, base / "plan-scratch")
                shutil.rmtree(base / "plan-scratch", ignore_errors=True)
            run_dir = base / "run"
            if {"run", "score", "parts"} & set(stages):
                rec["run"] = measure("run", root, labels, run_dir)
            if "parts" in stages:
                rec["parts"] = measure("parts", root, labels, run_dir)
            if "score" in stages:
                rec["score"] = measure("score", root, labels, run_dir)
            rec["load_after"] = _load()
            per["runs"].append(rec)
            print(f"n={n_files} repeat {r + 1}/{repeats}: " + ", ".join(
                f"{s} {rec[s]['wall_s']:.1f}s/{rec[s]['cpu_s']:.1f}cpu/{rec[s]['peak_rss_mb']:.0f}MB"
                for s in ("plan", "run", "parts", "score") if s in rec) + f" load {rec['load_after']}",
                file=sys.stderr, flush=True)
            if not args.keep_runs and r < repeats - 1:
                shutil.rmtree(run_dir, ignore_errors=True)
        if n != "baseline" and (args.tracemalloc or args.profile):
            base = _last_run(data, key)
            assert base is not None
            run_dir = base / "run"
            for stage in [s for s in ("plan", "score") if s in stages] if args.tracemalloc else []:
                per[f"{stage}_traced"] = measure(stage, root, labels,
                                                 run_dir if stage == "score" else base / "plan-traced",
                                                 tracemalloc=True)
                print(f"n={n_files} {stage} traced: peak {per[f'{stage}_traced']['inner']['tracemalloc_peak_mb']} MB",
                      file=sys.stderr, flush=True)
            if args.profile:
                prof_dir = data / "profiles"
                prof_dir.mkdir(parents=True, exist_ok=True)
                for stage in [s for s in ("plan", "run", "score") if s in stages]:
                    target = base / "plan-prof" if stage == "plan" else (
                        base / "run-prof" if stage == "run" else run_dir)
                    if stage == "run":
                        shutil.rmtree(base / "run-prof", ignore_errors=True)
                    path = prof_dir / f"{stage}-{n_files}.prof"
                    per[f"{stage}_profiled"] = measure(stage, root, labels, target, profile=str(path))
                    print(f"n={n_files} {stage} profiled -> {path.with_suffix('.txt')}", file=sys.stderr, flush=True)
                shutil.rmtree(base / "run-prof", ignore_errors=True)
        per["median"] = _medians(per["runs"])
        result["sizes"][key] = per
    result["ratios"] = _ratios(result, sizes) if not args.extras_only else {}
    return result


def _last_run(data: Path, key: str) -> Path | None:
    """The last repeat's folder of size ``key`` whose run finished (the one kept)."""
    done = sorted(data.glob(f"runs/{key}-r*/run/scorecard.json"), key=lambda p: int(p.parts[-3].rsplit("-r", 1)[1]))
    return done[-1].parent.parent if done else None


def _medians(runs: list[dict]) -> dict:
    out: dict = {}
    for stage in ("plan", "run", "parts", "score"):
        got = [r[stage] for r in runs if stage in r]
        if got:
            out[stage] = {k: round(statistics.median(g[k] for g in got), 3) for k in ("wall_s", "cpu_s", "peak_rss_mb")}
            out[stage]["rss_after_imports_mb"] = statistics.median(
                g["inner"]["maxrss_mb_after_imports"] for g in got)
            out[stage]["stage_wall_s"] = round(statistics.median(g["inner"]["stage_wall_s"] for g in got), 3)
            out[stage]["stage_cpu_s"] = round(statistics.median(g["inner"]["stage_cpu_s"] for g in got), 3)
    return out


def _ratios(result: dict, sizes: list[int]) -> dict:
    if len(sizes) < 2:
        return {}
    small, big = result["sizes"][str(sizes[0])]["median"], result["sizes"][str(sizes[-1])]["median"]
    base = next((v["median"] for k, v in result["sizes"].items() if k.startswith("baseline")), {})
    out: dict = {"of": f"{sizes[-1]} / {sizes[0]}", "n_ratio": sizes[-1] / sizes[0]}
    for stage in small:
        if stage not in big:
            continue
        r = {k: round(big[stage][k] / small[stage][k], 2) if small[stage][k] else None
             for k in ("wall_s", "cpu_s", "peak_rss_mb", "stage_wall_s", "stage_cpu_s")}
        if stage in base:
            b = base[stage]["peak_rss_mb"]
            gs, gb = small[stage]["peak_rss_mb"] - b, big[stage]["peak_rss_mb"] - b
            r["rss_growth_above_baseline_mb"] = [round(gs, 1), round(gb, 1)]
            r["rss_growth_ratio"] = round(gb / gs, 2) if gs > 0 else None
            for k in ("cpu_s", "wall_s"):
                cs, cb = small[stage][k] - base[stage][k], big[stage][k] - base[stage][k]
                r[f"{k}_above_baseline_ratio"] = round(cb / cs, 2) if cs > 0 else None
        out[stage] = r
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        p = argparse.ArgumentParser()
        p.add_argument("_child")
        p.add_argument("stage")
        for flag in ("--root", "--labels", "--run-dir", "--report"):
            p.add_argument(flag, required=True)
        p.add_argument("--tracemalloc", action="store_true")
        p.add_argument("--profile")
        child(p.parse_args())
        return
    if len(sys.argv) > 1 and sys.argv[1] == "generate":
        p = argparse.ArgumentParser(description="make the tiny files (cached) and a labels CSV")
        p.add_argument("generate")
        p.add_argument("--n", type=int, required=True)
        p.add_argument("--data", default=str(DEFAULT_DATA))
        p.add_argument("--px", type=int, default=16)
        p.add_argument("--phi-share", type=float, default=0.5)
        a = p.parse_args()
        root, labels = generate(Path(a.data), a.n, a.px, a.phi_share)
        print(json.dumps({"root": str(root), "labels": str(labels)}))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated N (frames = files)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the smallest N (median)")
    parser.add_argument("--large-repeats", type=int, default=1, help="repeats of every larger N")
    parser.add_argument("--baseline-n", type=int, default=100, help="a tiny run for the fixed cost (0: none)")
    parser.add_argument("--stages", default="plan,run,parts,score")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="cache of files, labels and runs")
    parser.add_argument("--px", type=int, default=16, help="rows = columns of each frame")
    parser.add_argument("--phi-share", type=float, default=0.5, help="share of files labelled has_phi")
    parser.add_argument("--tracemalloc", action="store_true", help="add a traced pass of plan and score")
    parser.add_argument("--profile", action="store_true", help="add a cProfile pass of each stage")
    parser.add_argument("--keep-runs", action="store_true", help="keep every repeat's run directory")
    parser.add_argument("--extras-only", action="store_true",
                        help="skip the plain measurements: trace/profile against the last run an earlier call kept "
                             "under DATA/runs")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    result = bench(args)
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(json.dumps({"sizes": {k: v["median"] for k, v in result["sizes"].items()},
                      "ratios": result["ratios"]}, indent=2))


if __name__ == "__main__":
    main()
