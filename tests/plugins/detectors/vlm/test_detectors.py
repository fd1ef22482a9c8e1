"""Every VLM plugin through its real SDK against a local server: answers, every fault, retries,
Retry-After, concurrency, rate limits, retry budget — and never an error read as a negative."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

from phibench.exceptions import ConfigError
from phibench.records import TokenUsage
from phibench.testing import FirstAttempts, Reply, Script
from phibench_plugins.detectors.vlm.image import encode_image
from phibench_plugins.detectors.vlm.limits import RateLimiter
from tests.plugins.detectors.vlm.conftest import KEY_ENV, NO_PHI_ANSWER, PHI_ANSWER, SERVERS, build, make_frames

ALL = sorted(SERVERS)
PROTOCOLS = ["gpt4o", "claude"]  # one plugin per wire protocol for the fault matrix


def serve(name, behaviour, **kw):
    return SERVERS[name](behaviour, **kw)


@pytest.mark.parametrize("name", ALL)
def test_each_plugin_answers_through_its_sdk(name, api_key):
    frames = make_frames(3)
    with serve(name, Script([Reply.answer(PHI_ANSWER)], then=Reply.answer(NO_PHI_ANSWER))) as server:
        dets = build(name, server, max_in_flight=1).detect_many(frames)
    assert [d.has_phi for d in dets] == [True, False, False]
    assert [(e.category, e.text) for e in dets[0].entities] == [("NAME", "DOE^JANE")]
    for d in dets:
        assert d.error is None and d.attempts == 1 and d.latency_s > 0
        assert d.usage.input_tokens > 50 and d.usage.output_tokens > 0
        assert d.endpoint == server.base_url + " (simulated)"
    req = server.requests[0]
    assert api_key in req.headers.get("authorization", "") + req.headers.get("x-api-key", "")
    assert req.image[:3] == b"\xff\xd8\xff"  # JPEG
    assert req.model == build(name, server).params.model


def test_image_long_side_and_format_are_applied(api_key):
    frames = make_frames(1, shape=(1200, 900))
    with serve("gpt4o", NO_PHI_ANSWER) as server:
        build("gpt4o", server, image_long_side=600, image_format="png", detail="high").detect_many(frames)
    from phibench.testing.replies import image_size

    req = server.requests[0]
    assert req.image[:4] == b"\x89PNG" and image_size(req.image) == (450, 600)
    assert req.body["messages"][1]["content"][1]["image_url"]["detail"] == "high"
    assert req.body["temperature"] == 0.0 and req.body["max_tokens"] == 400


TRANSIENT = {
    "rate_limited": Reply.rate_limited(retry_after=0.05),
    "server_error": Reply.error(500),
    "overloaded": Reply.error(529),
    "unavailable": Reply.error(503),
    "timeout": Reply.hang(),
    "dropped": Reply.drop(),
    "malformed": Reply.malformed(),
}


@pytest.mark.parametrize("fault", sorted(TRANSIENT))
@pytest.mark.parametrize("name", PROTOCOLS)
def test_transient_faults_are_retried_then_answered(name, fault, api_key):
    frames = make_frames(4)
    rule = FirstAttempts([TRANSIENT[fault]], then=Reply.answer(PHI_ANSWER))
    with serve(name, rule, hang_s=3.0) as server:
        dets = build(name, server, timeout_s=0.4).detect_many(frames)
    assert all(d.has_phi is True and d.error is None for d in dets)
    assert [d.attempts for d in dets] == [2, 2, 2, 2]
    assert len(server.requests) == 8 and not server.errors


@pytest.mark.parametrize("name", PROTOCOLS)
def test_retry_after_is_honoured(name, api_key):
    frames = make_frames(4)
    rule = FirstAttempts([Reply.rate_limited(retry_after=0.4)], then=Reply.answer(NO_PHI_ANSWER))
    with serve(name, rule) as server:
        dets = build(name, server, backoff_initial_s=0.001).detect_many(frames)
    assert all(d.has_phi is False and d.attempts == 2 for d in dets)
    by_image = defaultdict(list)
    for r in server.requests:
        by_image[r.image_key].append(r)
    for first, second in by_image.values():
        assert second.started - first.ended >= 0.38


def test_a_429_pauses_every_request_of_the_worker(api_key):
    frames = make_frames(6)
    rule = Script([Reply("status", status=429, retry_after=0.5, delay_s=0.1)], then=Reply.answer(NO_PHI_ANSWER))
    with serve("gpt4o", rule, latency_s=0.05) as server:
        build("gpt4o", server, max_in_flight=2).detect_many(frames)
    first_end = server.requests[0].ended
    later = [r.started for r in server.requests[1:] if r.started > first_end + 0.02]
    assert later and min(later) - first_end >= 0.45  # nobody sent while the worker was told to wait


ANSWER_FAULTS = {
    "refusal": (Reply.refusal(), "AnswerRefused"),
    "refusal_text": (Reply.answer("I'm sorry, I can't help with identifying people."), "AnswerRefused"),
    "truncated": (Reply.truncated('{"text": ["DOE^JANE", "ST MA'), "AnswerTruncated"),
    "empty": (Reply.empty(), "AnswerEmpty"),
    "prose": (Reply.answer("The image shows DOE^JANE and a date, which are identifiers."), "AnswerUnparsable"),
    "broken_json": (Reply.answer('{"phi": [{"text": "DOE^JANE"'), "AnswerUnparsable"),
}


@pytest.mark.parametrize("fault", sorted(ANSWER_FAULTS))
@pytest.mark.parametrize("name", PROTOCOLS)
def test_unusable_answers_are_errors_never_negatives(name, fault, api_key):
    reply, error = ANSWER_FAULTS[fault]
    frames = make_frames(2)
    with serve(name, reply) as server:
        dets = build(name, server).detect_many(frames)
    for d in dets:
        assert d.has_phi is None and d.error is not None
        assert d.error.stage == "detect" and d.error.exc_type.endswith(error)
        assert d.attempts == 1 and d.usage.input_tokens > 0  # the answer was paid for: counted
        assert "DOE" not in d.error.message and "sorry" not in d.error.message
    assert len(server.requests) == 2  # answers are not retried


@pytest.mark.parametrize("name", PROTOCOLS)
def test_persistent_server_errors_give_up_after_max_attempts(name, api_key):
    with serve(name, Reply.error(500)) as server:
        dets = build(name, server, max_attempts=3).detect_many(make_frames(2))
    for d in dets:
        assert d.has_phi is None and d.attempts == 3
        assert d.error.exc_type.endswith("RequestFailed")
        assert "HTTP 500" in d.error.message and "gave up after 3 attempts" in d.error.message
        assert d.endpoint == ""  # nobody answered
    assert len(server.requests) == 6


@pytest.mark.parametrize(("status", "words"), [(400, "not retried"), (401, KEY_ENV), (404, "detector.model")])
def test_client_errors_are_not_retried(status, words, api_key):
    with serve("claude", Reply.error(status)) as server:
        (d,) = build("claude", server).detect_many(make_frames(1))
    assert d.has_phi is None and d.attempts == 1 and len(server.requests) == 1
    assert f"HTTP {status}" in d.error.message and words in d.error.message
    assert api_key not in d.error.message


def test_timeouts_are_per_request_and_fail_closed(api_key):
    with serve("gpt4o", Reply.hang(), hang_s=3.0) as server:
        t0 = time.monotonic()
        dets = build("gpt4o", server, timeout_s=0.25, max_attempts=2).detect_many(make_frames(4))
        elapsed = time.monotonic() - t0
    assert elapsed < 2.0
    for d in dets:
        assert d.has_phi is None and d.attempts == 2
        assert "timed out after 0.25 s" in d.error.message


def test_a_retry_after_beyond_the_cap_fails_at_once(api_key):
    with serve("gpt4o", Reply.rate_limited(retry_after=120)) as server:
        (d,) = build("gpt4o", server, backoff_max_s=1.0).detect_many(make_frames(1))
    assert d.has_phi is None and d.attempts == 1
    assert "retry after 120 s" in d.error.message


def test_the_retry_budget_caps_retries_across_samples(api_key):
    with serve("gpt4o", Reply.error(503)) as server:
        det = build("gpt4o", server, max_attempts=5, retry_budget_min=3, retry_budget_ratio=0.0)
        dets = det.detect_many(make_frames(6))
    assert len(server.requests) == 6 + 3
    assert all(d.has_phi is None for d in dets)
    assert any("retry budget" in d.error.message for d in dets)


@pytest.mark.parametrize(("limit", "expected"), [(1, 1), (4, 4)])
def test_requests_in_flight_are_bounded(limit, expected, api_key):
    with serve("gpt4o", NO_PHI_ANSWER, latency_s=0.1) as server:
        t0 = time.monotonic()
        dets = build("gpt4o", server, max_in_flight=limit).detect_many(make_frames(8))
        elapsed = time.monotonic() - t0
    assert all(d.has_phi is False for d in dets)
    assert server.max_in_flight == expected
    assert elapsed >= 0.1 * 8 / limit * 0.9


def test_requests_per_minute_are_limited(api_key):
    with serve("claude", NO_PHI_ANSWER) as server:
        build("claude", server, requests_per_minute=240).detect_many(make_frames(10))  # 4 per second
    starts = sorted(r.started for r in server.requests)
    assert starts[-1] - starts[0] >= (10 - 4) / 4 * 0.9  # a one-second burst, then 4 per second
    for i in range(len(starts) - 6):  # 7 requests need the burst (4) plus 3 at 4 per second
        assert starts[i + 6] - starts[i] >= 0.7


def test_tokens_per_minute_are_limited(api_key):
    frames = make_frames(6)
    with serve("gpt4o", NO_PHI_ANSWER) as server:
        probe = build("gpt4o", server, max_tokens=500)
        per_request = probe.protocol.request_tokens(probe.prompt.user, encode_image(frames[0].image))
        det = build("gpt4o", server, max_tokens=500, tokens_per_minute=per_request * 60)
        det.detect_many(frames)
    assert det.transport.limiter.waited_s > 0 and len(server.requests) == 6


def test_the_token_bucket_waits_for_its_rate_and_takes_refunds():
    limiter = RateLimiter(tokens_per_minute=60_000)  # 1000 per second, one second's burst
    t0 = time.monotonic()
    limiter.acquire(1000)
    assert time.monotonic() - t0 < 0.05
    limiter.acquire(400)  # the bucket is empty: 0.4 s
    assert 0.35 <= time.monotonic() - t0 < 0.6
    limiter.settle(-400)  # the response used 400 fewer tokens than estimated: refunded
    t1 = time.monotonic()
    limiter.acquire(400)
    assert time.monotonic() - t1 < 0.05


def test_the_key_comes_from_the_environment_and_is_checked_up_front(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ConfigError, match=KEY_ENV):
        build("gpt4o", base_url="http://127.0.0.1:9/v1")
    build("gpt4o", base_url="http://127.0.0.1:9/v1", cache="replay", cache_root="/tmp/x")  # no key needed
    det = build("openai_compatible", base_url="http://127.0.0.1:9/v1", api_key_env=None)
    assert "api_key" not in str(det.describe())


@pytest.mark.parametrize("name", ["llama4_maverick", "openai_compatible"])
def test_endpoints_without_a_vendor_default_need_a_base_url(name, api_key):
    with pytest.raises(ConfigError, match="base_url is required"):
        build(name)


def test_bad_parameters_fail_on_construction(api_key):
    with pytest.raises(ConfigError, match="image_format"):
        build("gpt4o", base_url="http://x/v1", image_format="gif")
    with pytest.raises(ConfigError, match="detail"):
        build("gpt4o", base_url="http://x/v1", detail="ultra")
    with pytest.raises(ConfigError, match="cache"):
        build("gpt4o", base_url="http://x/v1", cache="sometimes")
    with pytest.raises(ConfigError, match="no price"):
        build("openai_compatible", base_url="http://x/v1", model="my-own-model")
    det = build("openai_compatible", base_url="http://x/v1", model="my-own-model",
                price_input_per_1m=0, price_output_per_1m=0)
    assert det.price.cost(TokenUsage(10**6, 10**6)) == 0.0
