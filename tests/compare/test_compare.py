"""``phibench compare`` on real runs: the shared samples, the exact McNemar p-value of the
results files' own 2x2 table, Holm's correction, parameter labels, errors, and every format."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from phibench.cli import main


def compare(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["compare", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def as_json(capsys, *args) -> dict:
    code, out, _ = compare(capsys, *args, "--format", "json")
    assert code == 0
    return json.loads(out)  # --format json prints JSON only


@pytest.fixture(scope="module")
def halved(runs):
    """Misses about half of the frames: much worse, and only in a parameter."""
    return runs.synthetic("miss50", "detector=header_oracle", "detector.miss=0.5")


def test_mcnemar_p_is_statsmodels_on_the_2x2_table_of_the_two_results_files(capsys, oracle, halved):
    result = as_json(capsys, oracle, halved)
    a, b = (pd.read_parquet(d / "results.parquet").set_index("sample_id") for d in (oracle, halved))
    both = a.join(b, lsuffix="_a", rsuffix="_b")
    both = both[both.error_a.isna() & both.error_b.isna()]
    ra = both.has_phi_pred_a == both.has_phi_true_a
    rb = both.has_phi_pred_b == both.has_phi_true_b
    table = [[int((ra & rb).sum()), int((ra & ~rb).sum())], [int((~ra & rb).sum()), int((~ra & ~rb).sum())]]
    (pair,) = result["pairs"]
    assert pair["mcnemar_table"] == table and table[0][1] > 0
    assert pair["mcnemar_p"] == pytest.approx(mcnemar(np.array(table), exact=True).pvalue, abs=0, rel=1e-12)
    recall = pair["differences"]["recall"]
    assert recall["test"] == "mcnemar" and recall["difference"] < 0
    assert recall["ci_low"] <= recall["difference"] <= recall["ci_high"]
    assert result["samples"] == {"shared": len(a), "per_run": [len(a), len(b)], "same": True, "plans": "identical"}


def test_parameter_runs_are_labelled_by_the_parameter_that_differs(capsys, oracle, halved):
    result = as_json(capsys, oracle, halved)
    assert [r["solution"] for r in result["runs"]] == [
        "header_oracle [detector.miss=0.0]", "header_oracle [detector.miss=0.5]"]
    assert result["pairs"][0]["a"] == "header_oracle [detector.miss=0.0]"


def test_holm_corrects_each_metric_over_the_pairs(capsys, runs, oracle, halved):
    flag_none = runs.synthetic("flag_none", "detector=flag_none")
    result = as_json(capsys, oracle, halved, flag_none)
    pairs = result["pairs"]
    exact, half = "header_oracle [detector.miss=0.0]", "header_oracle [detector.miss=0.5]"
    assert [(p["a"], p["b"]) for p in pairs] == [(exact, half), (exact, "flag_none"), (half, "flag_none")]
    for metric in ("recall", "accuracy"):
        raw = [p["differences"][metric]["p"] for p in pairs]
        adjusted = [p["differences"][metric]["p_adjusted"] for p in pairs]
        assert adjusted == pytest.approx(list(multipletests(raw, method="holm")[1]))
        assert adjusted != raw
    assert [p["mcnemar_p_adjusted"] for p in pairs] == pytest.approx(
        list(multipletests([p["mcnemar_p"] for p in pairs], method="holm")[1]))
    plain = as_json(capsys, oracle, halved, flag_none, "--correction", "none")
    assert all(d["p_adjusted"] == d["p"] for p in plain["pairs"] for d in p["differences"].values())


def test_precision_gets_a_paired_bootstrap_that_repeats_exactly(capsys, runs, oracle):
    flag_all = runs.synthetic("flag_all", "detector=flag_all")
    first = as_json(capsys, flag_all, oracle, "--metrics", "precision,npv,f1,specificity")
    again = as_json(capsys, flag_all, oracle, "--metrics", "precision,npv,f1,specificity")
    d = first["pairs"][0]["differences"]
    assert d["precision"]["test"] == "paired bootstrap" and d["f1"]["test"] == "paired bootstrap"
    assert d["precision"]["ci_low"] <= d["precision"]["difference"] <= d["precision"]["ci_high"]
    assert d["npv"]["test"] == "none" and d["npv"]["difference"] is None  # flag_all never says "no PHI"
    assert d["specificity"]["test"] == "mcnemar" and d["specificity"]["p"] < 0.05
    assert first == again
    assert first["bootstrap"] == {"resamples": 2000, "seed": 0}


def test_errors_leave_answered_rates_and_count_as_phi_answers_when_fail_closed(capsys, runs, oracle):
    failing = runs.synthetic("fail", "detector=header_oracle", "detector.fail=0.3")
    card = json.loads((failing / "scorecard.json").read_text())
    assert card["confusion"]["errors"] > 0
    d = as_json(capsys, oracle, failing, "--metrics", "recall,recall_fail_closed,error_rate,specificity_fail_closed")
    d = d["pairs"][0]["differences"]
    answered = card["confusion"]["tp"] + card["confusion"]["fn"]
    assert d["recall"]["n_a"] == d["recall"]["n_b"] == answered  # the errored samples left both sides
    assert d["recall"]["difference"] == 0 and d["recall_fail_closed"]["difference"] == 0
    assert d["error_rate"]["difference"] == pytest.approx(card["confusion"]["errors"] / card["samples"])
    assert d["error_rate"]["discordant"] == [0, card["confusion"]["errors"]]


def test_runs_with_different_samples_are_compared_on_the_shared_ones_with_a_warning(capsys, runs):
    full = runs.folder("folder_all", runs.labels("all"), "detector=header_oracle")
    half = runs.folder("folder_half", runs.labels("half", keep=0.5), "detector=flag_none")
    n_full = len(pd.read_parquet(full / "results.parquet"))
    n_half = len(pd.read_parquet(half / "results.parquet"))
    code, out, err = compare(capsys, full, half, "--format", "json")
    assert code == 0
    assert f"shared {n_half} of {n_full} / {n_half} samples" in err
    result = json.loads(out)
    assert result["pairs"][0]["shared"] == n_half and result["samples"]["same"] is False
    assert result["samples"]["plans"] == "differ"
    code, _, err = compare(capsys, full, half, "--require-same-samples")
    assert code == 2 and "--require-same-samples" in err


def test_runs_that_share_no_sample_or_disagree_on_labels_are_refused(capsys, runs, oracle):
    full = runs.folder("folder_all", runs.labels("all"), "detector=header_oracle")
    code, _, err = compare(capsys, oracle, full)  # synthetic ids vs folder ids
    assert code == 2 and "share no sample" in err
    flipped = runs.folder("folder_flipped", runs.labels("flipped", flip=2), "detector=header_oracle")
    code, _, err = compare(capsys, full, flipped)
    assert code == 2 and "2 samples shared" in err and "different ground truth" in err
    code, _, err = compare(capsys, oracle, oracle.parent / "missing")
    assert code == 2 and "does not exist" in err
    code, _, err = compare(capsys, oracle, full, "--metrics", "recal")
    assert code == 2 and "unknown metric 'recal'" in err


def test_every_format_parses(capsys, runs, oracle, halved):
    flag_all = runs.synthetic("flag_all", "detector=flag_all")
    code, out, _ = compare(capsys, oracle, halved, flag_all, "--format", "csv")
    runs_csv, pairs_csv = out.split("\n\n")
    table = list(csv.DictReader(io.StringIO(runs_csv)))
    assert [r["solution"] for r in table][2] == "flag_all" and float(table[2]["recall"]) == 1.0
    assert {"recall_ci_low", "cost_per_100k_usd", "throughput_images_per_s"} <= set(table[0])
    pairs = list(csv.DictReader(io.StringIO(pairs_csv)))
    assert len(pairs) == 3 * 6 and {"p", "p_adjusted", "ci_low", "mcnemar_p"} <= set(pairs[0])
    code, out, _ = compare(capsys, oracle, flag_all, "--format", "latex")
    assert code == 0 and out.count("\\toprule") == 2 and "\\bottomrule" in out and "flag\\_all" in out
    code, out, _ = compare(capsys, oracle, flag_all, "--format", "md")
    assert "| Solution | Samples (errors) | Recall |" in out and "## Pairwise differences" in out
    code, out, _ = compare(capsys, oracle, flag_all)
    assert code == 0 and "pairwise differences" in out and "mcnemar" in out


def test_the_pixels_table_is_a_view_of_the_compare_rows(capsys, runs, oracle, tmp_path):
    flag_all = runs.synthetic("flag_all", "detector=flag_all")
    assert main(["table", str(oracle), str(flag_all), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    pixels = json.loads((tmp_path / "pixels_table.json").read_text())
    compared = as_json(capsys, oracle, flag_all)["runs"]
    for p, c in zip(pixels, compared):
        assert {k: p[k] for k in ("solution", "recall", "precision", "specificity", "npv", "cost_per_100k_usd")} == \
               {k: c[k] for k in ("solution", "recall", "precision", "specificity", "npv", "cost_per_100k_usd")}


def test_detectors_with_a_confidence_get_a_paired_delong_auroc_difference(capsys, runs, oracle):
    sure = runs.synthetic("confident", "detector=header_oracle", "detector.confident=true")
    unsure = runs.synthetic("confident_miss", "detector=header_oracle", "detector.confident=true",
                            "detector.miss=0.4")
    result = as_json(capsys, sure, unsure, oracle)
    cards = [json.loads((d / "scorecard.json").read_text()) for d in (sure, unsure)]
    rows = {r["solution"]: r for r in result["runs"]}
    assert [r["auroc"]["value"] if r["auroc"] else None for r in result["runs"]] == \
           [cards[0]["threshold_free"]["auroc"]["value"], cards[1]["threshold_free"]["auroc"]["value"], None]
    assert len(rows) == 3
    first, *others = result["pairs"]
    auroc = first["differences"]["auroc"]
    assert auroc["test"] == "delong (paired)" and auroc["a"] == 1.0 and auroc["b"] < 1.0
    assert auroc["difference"] == pytest.approx(auroc["b"] - auroc["a"])
    assert auroc["ci_low"] <= auroc["difference"] <= auroc["ci_high"] and auroc["p_adjusted"] >= auroc["p"]
    assert all("auroc" not in p["differences"] for p in others)  # the oracle reports no confidence
    # a lone scorecard: the same AUROCs as independent estimates (no covariance to use: the
    # oracle's AUROC of 1 has none, so the intervals agree here; test_curves shows pairing narrow one)
    alone = as_json(capsys, sure / "scorecard.json", unsure / "scorecard.json")["pairs"][0]["differences"]["auroc"]
    assert alone["test"] == "delong (unpaired)" and alone["difference"] == pytest.approx(auroc["difference"])
    assert alone["ci_high"] - alone["ci_low"] == pytest.approx(auroc["ci_high"] - auroc["ci_low"])
    code, out, _ = compare(capsys, sure, unsure, "--format", "md")
    assert "| AUROC |" in out and "delong (paired)" in out and "DeLong" in out
