"""Test-only detectors, registered through ``PHIBENCH_EXTRA_PLUGINS=tests.spark.plugin`` so that
Spark's Python workers load them exactly as they load any installed plugin.

* ``hash_flag``: a deterministic answer per sample (from a hash of its id), optionally slow.
* ``torch_threads``: loads torch in ``setup()`` and reports ``torch.get_num_threads()`` in each
  row's ``endpoint``, to prove workers run with ``threads_per_worker`` threads.
* ``crash``: like ``hash_flag``, but the worker process is killed (SIGKILL, as the OOM killer or
  a segfault would) when it detects on a file whose name contains ``crash_on``. Only inside a
  Spark task: anywhere else it raises, so it can never take pytest down.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from dataclasses import dataclass

from phibench import hookimpl
from phibench.detector import Detector
from phibench.records import Detection, Entity


def answer(sample_id: str) -> bool:
    return hashlib.sha256(sample_id.encode()).digest()[0] % 2 == 0


class HashFlag(Detector):
    @dataclass
    class Params:
        sleep_s: float = 0.0
        """Seconds each detection takes (makes a run slow enough to kill midway)."""
        salt: str = ""
        """Changes nothing but the spec (a spec no other test has built)."""

    def detect(self, frame):
        if self.params.sleep_s:
            time.sleep(self.params.sleep_s)
        has_phi = answer(frame.sample.sample_id)
        entities = (Entity("ID", "x", (0, 0, 1, 1), 0.5),) if has_phi else ()
        return Detection(has_phi=has_phi, entities=entities, confidence=1.0)


class Crash(HashFlag):
    @dataclass
    class Params:
        crash_on: str = ""
        """Kill the worker on files whose name contains this."""
        salt: str = ""
        sleep_s: float = 0.0

    def detect(self, frame):
        if self.params.crash_on and self.params.crash_on in os.path.basename(frame.sample.path):
            from pyspark import TaskContext

            if TaskContext.get() is None:
                raise RuntimeError("the crash detector kills only Spark workers")
            os.kill(os.getpid(), signal.SIGKILL)
        return super().detect(frame)


class TorchThreads(Detector):
    def setup(self):
        import torch

        self.torch = torch

    def detect(self, frame):
        return Detection(has_phi=False, endpoint=f"torch-threads={self.torch.get_num_threads()}")


@hookimpl
def phibench_register_detectors(register):
    register.add("hash_flag", HashFlag)
    register.add("crash", Crash)
    register.add("torch_threads", TorchThreads)
