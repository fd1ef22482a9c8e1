"""The gate's verdict for machines and people: JUnit XML (one testcase per check, a
``<failure>`` with the reason on each failed one; GitHub and GitLab both read it) and a Markdown
step summary (``$GITHUB_STEP_SUMMARY``, or a GitLab job artifact)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

from phibench import files
from phibench.gate.checks import Check

SUITE = "phibench gate"


def junit(checks: list[Check], title: str, notes: list[str]) -> str:
    failures = sum(not c.passed for c in checks)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites", name=SUITE, tests=str(len(checks)), failures=str(failures), errors="0", time="0")
    suite = ET.SubElement(root, "testsuite", name=f"{SUITE}: {title}", tests=str(len(checks)),
                          failures=str(failures), errors="0", skipped="0", time="0", timestamp=stamp)
    for c in checks:
        case = ET.SubElement(suite, "testcase", classname="phibench.gate", name=c.name, time="0")
        if not c.passed:
            ET.SubElement(case, "failure", message=c.line(), type="threshold").text = c.why
    ET.SubElement(suite, "system-out").text = "\n".join([*notes, *(c.line() for c in checks)])
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def summary(checks: list[Check], title: str, notes: list[str]) -> str:
    ok = all(c.passed for c in checks)
    f = lambda x, spec=".3f": "" if x is None else format(x, spec)  # noqa: E731
    lines = [f"## {SUITE}: {'passed' if ok else 'FAILED'} ({title})", ""]
    lines += [f"- {n}" for n in notes]
    lines += ["", "| | check | value | baseline | delta | p | why |", "|---|---|---|---|---|---|---|"]
    for c in checks:
        cells = [":white_check_mark:" if c.passed else ":x:", c.name, f(c.value), f(c.baseline),
                 f(c.delta, "+.3f"), f(c.p, ".4g"), c.why]
        lines.append("| " + " | ".join(s.replace("|", "\\|") for s in cells) + " |")
    return "\n".join(lines) + "\n"


def append_summary(path: Path, text: str) -> None:
    """Append (GitHub's step summary file is shared by the job's steps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text + "\n")


def write_junit(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(path, text)
