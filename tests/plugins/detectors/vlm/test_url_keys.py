"""A key pasted into ``detector.base_url`` (user info or a query parameter) reaches the endpoint
and nothing else: not the description, the detections, the cache, the log or (through the command
line) any file of the run or its output."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from phibench.context import RunContext
from phibench.registry import default_registry
from phibench.testing import GroundTruthRule, OpenAIChatServer, truth_by_image
from phibench_plugins.detectors.vlm.image import encode_image
from tests.helpers import phibench, synthetic_overrides
from tests.plugins.detectors.vlm.conftest import PHI_ANSWER, SERVERS, build, make_frames


def keyed_url(server, user_key: str, query_key: str) -> str:
    """The server's base URL with a key in the user info and another in the query."""
    parts = urlsplit(server.base_url)
    return (f"{parts.scheme}://user:{user_key}@{parts.netloc}{parts.path}"
            f"?api-key={query_key}&api-version=2024-10-21")


@pytest.mark.parametrize("name", ["gpt4o", "claude"])
def test_a_key_in_the_url_reaches_the_server_and_no_record(name, api_key, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    user_key, query_key = secrets.token_hex(12), secrets.token_hex(12)
    with SERVERS[name](PHI_ANSWER) as server:
        det = build(name, base_url=keyed_url(server, user_key, query_key), cache="read_write")
        det.context = RunContext(run_dir=str(tmp_path))
        dets = det.detect_many(make_frames(2))
    # the detector still works: the query reaches the server on every request (the SDKs would
    # otherwise put it inside the path: /v1?api-key=K/chat/completions, a 404)
    assert [d.has_phi for d in dets] == [True, True], [d.error for d in dets]
    for request in server.requests:
        query = parse_qs(urlsplit(request.path).query)
        assert query == {"api-key": [query_key], "api-version": ["2024-10-21"]}
    if name == "gpt4o":  # httpx turns user info into basic auth
        auth = server.requests[0].headers["authorization"]
        assert base64.b64decode(auth.split()[1]).decode() == f"user:{user_key}"
    # ... and is in no record
    described = json.dumps(det.describe())
    assert det.endpoint == f"http://***@127.0.0.1:{server.port}{urlsplit(server.base_url).path}" \
                           "?api-key=***&api-version=2024-10-21"
    assert json.loads(described)["endpoint"] == det.endpoint
    cached = b"".join(p.read_bytes() for p in tmp_path.rglob("*.json"))
    assert cached and len(list(tmp_path.rglob("*.json"))) == 2
    for key in (user_key, query_key):
        for where, text in [("describe", described), ("endpoint", dets[0].endpoint),
                            ("log", caplog.text), ("cache", cached.decode())]:
            assert key not in text, f"the key is in the {where}"
    assert dets[0].endpoint == det.endpoint + " (simulated)"


def test_a_rotated_key_keeps_the_cache_keys(api_key):
    """The cache keys on the redacted endpoint: a new key in the URL re-sends nothing."""
    a = build("gpt4o", base_url="https://host/v1?api-key=one")
    b = build("gpt4o", base_url="https://host/v1?api-key=two")
    (frame,) = make_frames(1)
    assert a.key_parts(frame) == b.key_parts(frame) and a.endpoint == "https://host/v1?api-key=***"


def test_a_bad_url_fails_without_quoting_it(api_key):
    from phibench.exceptions import ConfigError

    with pytest.raises(ConfigError) as info:
        build("gpt4o", base_url="http://user:sk-SECRET@[::1/v1")
    assert "SECRET" not in str(info.value) and "base_url" in str(info.value)


@pytest.mark.slow
def test_a_cli_run_with_a_key_in_the_url_writes_and_prints_it_nowhere(tmp_path):
    """``phibench run detector=openai_compatible detector.base_url='http://user:K1@.../v1?api-key=K2'``.

    The detector's part (endpoint labels, results, scorecard's endpoints) is redacted here; the
    config dumps (``resolved.yaml``, Hydra's ``.hydra/``, the scorecard's ``config``) are the
    core's to scrub with :func:`phibench.secrets.scrub`."""
    user_key, query_key = "uk" + secrets.token_hex(12), "qk" + secrets.token_hex(12)
    data, run_dir = tmp_path / "data", tmp_path / "run"
    dataset = default_registry().build("dataset", "synthetic", {"n": 4, "seed": 0, "out": str(data)})
    truth = truth_by_image(dataset.plan(), lambda image: encode_image(image, 768, "jpeg", 90).data)
    with OpenAIChatServer(GroundTruthRule(truth)) as server:
        url = keyed_url(server, user_key, query_key)
        out = phibench("run", "detector=openai_compatible", "detector.model=gpt-4o-mini",
                       f"detector.base_url='{url}'", "executor=inline", *synthetic_overrides(data, 4),
                       f"hydra.run.dir={run_dir}", "run.progress=false", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert server.requests and all(query_key in r.path for r in server.requests)
    card = json.loads((run_dir / "scorecard.json").read_text())
    assert card["confusion"]["errors"] == 0 and card["simulated"] is True
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert files
    for key in (user_key, query_key):
        for where, blob in [("stdout", out.stdout.encode()), ("stderr", out.stderr.encode())] + [
                (str(p.relative_to(run_dir)), p.read_bytes()) for p in files]:
            assert key.encode() not in blob, f"a key from the URL is in {where}"
