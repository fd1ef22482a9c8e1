"""``phibench compare --html FILE`` on real runs: one self-contained page, read back as a
headless Chromium renders it, with every run, every pair, the plots and each run's provenance."""

from __future__ import annotations

import base64
import html
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from phibench.cli import main
from tests.plugins.reporters.test_html_reporter import CHROMIUM, _chromium, _text, needs_chromium


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return tmp_path_factory.mktemp("compare_html") / "comparison.html"


@pytest.fixture(scope="module")
def compared(runs, oracle, page):
    sure = runs.synthetic("confident", "detector=header_oracle", "detector.confident=true")
    unsure = runs.synthetic("confident_miss", "detector=header_oracle", "detector.confident=true", "detector.miss=0.4")
    flag_all = runs.synthetic("flag_all", "detector=flag_all")
    dirs = [sure, unsure, flag_all, oracle]
    assert main(["compare", *map(str, dirs), "--format", "json", "--html", str(page)]) == 0
    return dirs


def test_the_page_holds_every_run_pair_and_plot_and_loads_nothing(capsys, compared, page):
    capsys.readouterr()
    raw = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", raw, re.I) and "http://" not in raw and "https://" not in raw
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]+)"', raw)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    for s in srcs:  # every plot is a real image
        img = Image.open(io.BytesIO(base64.b64decode(s.split(",", 1)[1])))
        assert img.width > 200 and len(np.unique(np.asarray(img.convert("L")))) > 10
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
    cards = [json.loads((d / "scorecard.json").read_text()) for d in compared]
    for sc in cards:
        assert sc["provenance"]["dataset_fingerprint"] in text and sc["versions"]["git_revision"][:10] in text
    for label in ("header_oracle [detector.confident=true, detector.miss=0.4]", "flag_all"):
        assert label in text
    metrics = set(re.findall(r'data-metric="([a-z_]+)"', raw))
    assert {"recall", "specificity", "auroc"} <= metrics
    pairs = re.findall(r"<tr( class=\"significant\")?><td>", raw.split('id="pairs"')[1].split('id="provenance"')[0])
    assert len(pairs) == 6 * 6 + 3  # 4 runs: 6 pairs x 6 metrics; AUROC for the 3 pairs of runs with a confidence
    assert any(pairs)  # flag_all against the oracle: specificity differs beyond doubt
    auc = f"{cards[1]['threshold_free']['auroc']['value']:.3f}"
    assert auc in text and "delong (paired)" in text


@needs_chromium
@pytest.mark.slow
def test_chromium_renders_the_comparison(compared, page, tmp_path):
    shot = tmp_path / "shot.png"
    out = _chromium(page, f"--screenshot={shot}", "--window-size=1300,3000")
    assert shot.is_file(), out.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    dump = _chromium(page, "--dump-dom")
    assert dump.returncode == 0, dump.stderr[-2000:]
    text = _text(dump.stdout)
    for heading in ("Runs side by side", "Rates across runs", "Cost vs recall", "ROC curves",
                    "Pairwise differences", "Provenance"):
        assert heading in text
    assert CHROMIUM is not None
