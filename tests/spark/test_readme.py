"""The README's Spark example runs as written (on this package's session)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_dataframe_api_example_runs(spark, capsys):
    text = README.read_text().split("### DataFrame API", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "has_phi" in out and "true" in out and "error" in out
    assert namespace["spark"] is spark
