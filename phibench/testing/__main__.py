"""``python -m phibench.testing openai|anthropic``: serve a simulated model from a shell.

Prints its base URL on stdout and serves until interrupted; what it does goes to stderr. Two modes:

* **fixed answer** (default): every request gets the same answer, by default "no PHI" — a run
  against it finds no PHI anywhere (recall 0). It says so on startup.
* **ground truth** (``--truth-from DATASET[:KEY=VALUE,...]``, e.g. ``synthetic:n=24,seed=0``, the
  same dataset and parameters as the run's): each image is answered with the PHI burned into it,
  recognised by the SHA-256 of the image bytes the detector sends (``--detector`` and the
  ``--image-*`` settings must match the run's; the defaults are the detectors' own). An image
  not in the table gets HTTP 400, an error row in the run, never a guess; ``--error-rate`` makes
  it wrong on a share of the images.

Either way every response carries ``x-phibench-simulated: 1`` and a scorecard measured against it
says ``simulated: true``: it measures the pipeline, not a model. For faults and scripted
behaviours, use the classes from Python (:mod:`phibench.testing`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from phibench.exceptions import PhibenchError
from phibench.testing import AnthropicMessagesServer, GroundTruthRule, OpenAIChatServer, Reply
from phibench.testing.replies import Request
from phibench.testing.truth import IMAGE_SETTINGS, image_encoder, summary, truth_table

NO_PHI = '{"text": [], "phi": [], "has_phi": false}'
DETECTORS = {"openai": "gpt4o", "anthropic": "claude"}
"""The detector whose image encoding the ground-truth mode expects, by protocol."""


def _say(text: str) -> None:
    print(f"phibench.testing: {text}", file=sys.stderr, flush=True)


class _Misses:
    """A ground-truth rule that counts (and reports once) requests for images it does not know."""

    def __init__(self, rule: GroundTruthRule, hint: str) -> None:
        self.rule, self.hint, self.count = rule, hint, 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        if request.image_key in self.rule.truth:
            return self.rule(request)
        with self._lock:
            self.count += 1
            first = self.count == 1
        if first:
            _say(f"a request carried an image that is not in the truth table; it gets HTTP 400 "
                 f"(an error row in the run, never a guess). {self.hint}")
        return self.rule.unknown


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m phibench.testing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("protocol", choices=["openai", "anthropic"])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--answer", default=None,
                      help="the one answer to every request (default: no PHI)")
    mode.add_argument("--truth-from", metavar="DATASET[:KEY=VALUE,...]", default=None,
                      help="answer each image from this dataset's ground truth, e.g. "
                           "synthetic:n=24,seed=0 or folder:root=DIR,labels=labels.csv")
    truth = parser.add_argument_group("ground-truth mode")
    truth.add_argument("--detector", default=None,
                       help="the detector the run uses, whose image encoding to expect "
                            "(default: gpt4o for openai, claude for anthropic)")
    truth.add_argument("--image-long-side", type=int, default=None, help="as detector.image_long_side")
    truth.add_argument("--image-format", default=None, help="as detector.image_format")
    truth.add_argument("--jpeg-quality", type=int, default=None, help="as detector.jpeg_quality")
    truth.add_argument("--style", choices=["json", "pipes"], default="json",
                       help="answer form: the default prompt's JSON, or Pixels' pipes")
    truth.add_argument("--error-rate", type=float, default=0.0,
                       help="share of images answered wrongly (chosen by hash with --seed)")
    truth.add_argument("--seed", type=int, default=0)
    return parser


def _behaviour(args: argparse.Namespace) -> tuple[Any, str]:
    """The server's behaviour and the line that says on startup what it answers."""
    if args.truth_from is None:
        if args.answer is None:
            return Reply.answer(NO_PHI), (
                "it answers EVERY request with 'no PHI' (a fixed answer): a run against it finds "
                "no PHI in anything (recall 0). For answers from ground truth, start it with "
                "--truth-from DATASET[:KEY=VALUE,...], e.g. --truth-from synthetic:n=24,seed=0 "
                "(the run's dataset and parameters)")
        return Reply.answer(args.answer), "it answers every request with the same fixed text (--answer)"
    detector = args.detector or DETECTORS[args.protocol]
    settings = {k: getattr(args, k) for k in IMAGE_SETTINGS if getattr(args, k) is not None}
    encode, params = image_encoder(detector, settings)
    table = truth_table(args.truth_from, encode)
    if not table:
        raise PhibenchError(f"--truth-from {args.truth_from}: the dataset has no readable images")
    shape = (f"as detector={detector} sends them ({params.image_long_side} px long side, "
             f"{params.image_format}, quality {params.jpeg_quality})")
    rule = GroundTruthRule(table, error_rate=args.error_rate, seed=args.seed, style=args.style)
    hint = (f"Is the run's dataset --truth-from {args.truth_from}, and does it encode images {shape}? "
            f"Set --detector/--image-long-side/--image-format/--jpeg-quality to match. "
            f"Text-only requests (detector=ocr_llm) carry no image and are never in the table.")
    return _Misses(rule, hint), (
        f"it answers from the ground truth of {args.truth_from}: {summary(table)}, {shape}, "
        f"{args.error_rate:.0%} of them answered wrongly (--error-rate), in {args.style} form")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cls = OpenAIChatServer if args.protocol == "openai" else AnthropicMessagesServer
    try:
        behaviour, mode = _behaviour(args)
    except PhibenchError as exc:
        print(f"python -m phibench.testing: error: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with cls(behaviour, latency_s=args.latency, keep_bodies=False, port=args.port) as server:
        _say(f"SIMULATED {cls.protocol} server at {server.base_url}; {mode}. Its answers are "
             f"marked simulated: a scorecard measured against it measures the pipeline, not a model.")
        print(server.base_url, flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
        misses = getattr(behaviour, "count", 0)
        print(f"served {len(server.requests)} requests, at most {server.max_in_flight} at once"
              + (f"; {misses} carried an image not in the truth table (HTTP 400)" if misses else ""),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
