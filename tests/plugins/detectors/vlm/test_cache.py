"""The response cache: content-addressed keys, atomic writes under concurrency, read_write and
replay modes, its home in the run directory, and replay misses as error rows."""

from __future__ import annotations

import json
import multiprocessing
import stat
import threading
from dataclasses import replace

import pytest

from phibench.context import RunContext
from phibench.testing import Reply
from phibench_plugins.detectors.vlm.cache import ResponseCache, cache_key
from tests.plugins.detectors.vlm.conftest import NO_PHI_ANSWER, PHI_ANSWER, SERVERS, build, make_frames


def _key(det, frame):
    return cache_key(det.key_parts(frame))


def test_keys_change_with_everything_that_shapes_the_request(api_key, tmp_path):
    frame, other = make_frames(2)
    base = build("gpt4o", base_url="http://127.0.0.1:9/v1")
    k = _key(base, frame)
    assert k == _key(build("gpt4o", base_url="http://127.0.0.1:9/v1", max_in_flight=9), frame)
    assert k != _key(base, other)
    for change in ({"model": "gpt-4o-mini"}, {"temperature": 0.5}, {"max_tokens": 300},
                   {"image_long_side": 512}, {"image_format": "png"}, {"detail": "high"},
                   {"json_mode": not base.params.json_mode}, {"prompt": "pixels_pipes_v1"}, {"base_url": "http://127.0.0.1:8/v1"}):
        assert _key(build("gpt4o", **{"base_url": "http://127.0.0.1:9/v1", **change}), frame) != k, change
    assert _key(build("claude", base_url="http://127.0.0.1:9/v1"), frame) != k


def test_entries_are_atomic_and_owner_only_under_threads_and_processes(tmp_path):
    cache = ResponseCache(tmp_path)
    keys = [cache_key({"i": i}) for i in range(20)]
    big = "x" * 200_000
    seen_partial: list[str] = []

    def writer(tag: str) -> None:
        for k in keys:
            cache.put(k, {"text": big, "tag": tag})

    def reader() -> None:
        for _ in range(5):
            for k in keys:
                e = cache.get(k)
                if e is not None and e["text"] != big:
                    seen_partial.append(k)

    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=writer, args=(f"p{i}",)) for i in range(2)]
    threads = [threading.Thread(target=writer, args=(f"t{i}",)) for i in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for w in procs + threads:
        w.start()
    for w in procs + threads:
        w.join()
    assert all(p.exitcode == 0 for p in procs) and not seen_partial
    assert cache.count() == 20 and not list(tmp_path.rglob("*.tmp"))
    for k in keys:
        assert cache.get(k)["text"] == big
        assert stat.S_IMODE(cache.path(k).stat().st_mode) == 0o600


def test_a_torn_or_foreign_file_is_a_miss(tmp_path):
    cache = ResponseCache(tmp_path)
    k = cache_key({"a": 1})
    cache.path(k).parent.mkdir(parents=True)
    cache.path(k).write_text('{"format": 1, "text": "trunc')
    assert cache.get(k) is None
    cache.path(k).write_text(json.dumps({"format": 99, "text": "x"}))
    assert cache.get(k) is None


@pytest.mark.parametrize("name", ["gpt4o", "claude"])
def test_read_write_answers_reruns_from_the_cache_at_no_cost(name, api_key, tmp_path):
    frames = make_frames(4)
    with SERVERS[name](PHI_ANSWER) as server:
        det = build(name, server, cache="read_write", cache_root=str(tmp_path))
        first = det.detect_many(frames)
        again = det.detect_many(frames)
    assert len(server.requests) == 4
    assert [d.attempts for d in first] == [1] * 4 and [d.attempts for d in again] == [0] * 4
    strip = lambda d: replace(d, latency_s=0.0, cpu_s=0.0, attempts=0)  # noqa: E731
    assert [strip(d) for d in again] == [strip(d) for d in first]  # tokens, endpoint, entities too


def test_replay_never_touches_the_network_and_misses_fail_closed(monkeypatch, api_key, tmp_path):
    frames = make_frames(3)
    with SERVERS["gpt4o"](NO_PHI_ANSWER) as server:
        build("gpt4o", server, cache="read_write", cache_root=str(tmp_path)).detect_many(frames[:2])
    monkeypatch.delenv("PHIBENCH_TEST_VLM_KEY")
    replay = build("gpt4o", server, cache="replay", cache_root=str(tmp_path))
    dets = replay.detect_many(frames)  # the server is gone: any request would fail
    assert [d.has_phi for d in dets] == [False, False, None]
    miss = dets[2].error
    assert miss.exc_type.endswith("CacheMiss") and "cache=replay" in miss.message
    assert dets[0].endpoint.endswith("(simulated)") and dets[0].usage.input_tokens > 0


def test_failures_are_not_cached_so_a_rerun_retries_them(api_key, tmp_path):
    frames = make_frames(2)
    with SERVERS["gpt4o"](Reply.error(500)) as server:
        det = build("gpt4o", server, cache="read_write", cache_root=str(tmp_path), max_attempts=1)
        assert all(d.has_phi is None for d in det.detect_many(frames))
    assert ResponseCache(tmp_path / "cache").count() == 0


def test_refusals_and_truncations_are_recorded_and_replayed_as_errors(api_key, tmp_path):
    frames = make_frames(1)
    with SERVERS["claude"](Reply.truncated()) as server:
        (live,) = build("claude", server, cache="read_write", cache_root=str(tmp_path)).detect_many(frames)
    (replayed,) = build("claude", server, cache="replay", cache_root=str(tmp_path)).detect_many(frames)
    assert live.error.exc_type == replayed.error.exc_type and replayed.error.exc_type.endswith("AnswerTruncated")
    assert replayed.usage == live.usage


def test_the_cache_lives_in_the_run_dir_by_default(api_key, tmp_path):
    """No environment variable: the run directory comes from the detector's ``context`` (set by
    the core before ``setup()``); an explicit ``cache_root`` wins; without either there is no
    folder, and every sample fails saying so (never a silent uncached run, never a negative)."""
    frames = make_frames(3)
    with SERVERS["gpt4o"](NO_PHI_ANSWER) as server:
        det = build("gpt4o", server, cache="read_write")
        det.context = RunContext(run_dir=str(tmp_path / "run"))
        assert [d.has_phi for d in det.detect_many(frames[:2])] == [False, False]
        explicit = build("gpt4o", server, cache="read_write", cache_root=str(tmp_path / "elsewhere"))
        explicit.context = RunContext(run_dir=str(tmp_path / "run"))
        explicit.detect_many(frames[2:])
        dets = build("gpt4o", server, cache="read_write").detect_many(make_frames(1))  # no context
        off = build("gpt4o", server, cache="off")
        off.context = RunContext(run_dir=str(tmp_path / "off"))
        assert off.detect_many(frames[:1])[0].has_phi is False
    assert ResponseCache(tmp_path / "run" / "cache").count() == 2
    assert ResponseCache(tmp_path / "elsewhere" / "cache").count() == 1
    assert dets[0].has_phi is None and "cache_root" in dets[0].error.message
    assert dets[0].error.stage == "detect" and not (tmp_path / "off").exists()
    assert len(server.requests) == 4  # the sample without a cache folder was never sent


def test_no_shipped_config_takes_the_cache_folder_from_the_environment():
    """The cache's home is the run context's run directory, not an environment variable that a
    long-lived worker may hold from another run."""
    from phibench.config import shipped_configs
    from phibench.registry import default_registry
    from tests.helpers import compose_run

    shipped = {c.name: c.path for c in shipped_configs(default_registry()) if c.group == "detector"}
    for name in ("gpt4o", "claude", "llama4_maverick", "openai_compatible", "ocr_llm"):
        assert "oc.env" not in shipped[name].read_text(), name
        assert compose_run(f"detector={name}").detector.cache_root is None, name
