"""``python -m phibench.testing openai|anthropic [--latency S] [--answer TEXT]``: serve a local
model from a shell (prints its base URL, serves until interrupted). Every request gets the same
answer; for faults and rules, use the classes from Python."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from phibench.testing import AnthropicMessagesServer, OpenAIChatServer, Reply


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phibench.testing")
    parser.add_argument("protocol", choices=["openai", "anthropic"])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--answer", default='{"text": [], "phi": [], "has_phi": false}')
    args = parser.parse_args(argv)
    cls = OpenAIChatServer if args.protocol == "openai" else AnthropicMessagesServer
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with cls(Reply.answer(args.answer), latency_s=args.latency, keep_bodies=False) as server:
        print(server.base_url, flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
        print(f"served {len(server.requests)} requests, at most {server.max_in_flight} at once",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
