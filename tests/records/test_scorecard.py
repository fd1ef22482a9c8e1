"""The typed scorecard (:class:`phibench.records.Scorecard`): it reads every scorecard the code
writes and gives back exactly its bytes, reads older schema versions, and is what reporters get."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from phibench import hookimpl
from phibench.compare.runs import read_scorecard
from phibench.exceptions import ConfigError
from phibench.records import Auroc, ConfusionCounts, Estimate, Scorecard, ThresholdFree
from phibench.reporter import Reporter
from phibench.run import execute
from tests.helpers import compose_run, extra_plugins, synthetic_overrides

REPO = Path(__file__).resolve().parents[2]
QUIET = ["executor=inline", "run.progress=false", "reporters=[json,markdown]"]


def dumps(card: Scorecard) -> str:
    """What the json reporter writes."""
    return json.dumps(card.to_dict(), indent=2, default=str) + "\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Real runs, each writing scorecard.json: a baseline (threshold_free without an interval),
    a detector with a confidence and per-sample errors, and a redacting run."""
    root = tmp_path_factory.mktemp("cards")
    data = synthetic_overrides(root / "data", 8)
    made = {}
    with extra_plugins("tests.compare.plugin,tests.redaction.plugin"):
        for name, overrides in {
            "flag_none": ["detector=flag_none", *data],
            "oracle": ["detector=header_oracle", "detector.confident=true", "detector.fail=0.3",
                       *synthetic_overrides(root / "leaky", 8), "dataset.leaky_tags=true"],
            "redacting": ["detector=flag_all", "redactor=whole_frame", "redactor.verify=false",
                          *data],
        }.items():
            sc = execute(compose_run(*overrides, *QUIET), root / name)
            made[name] = (sc, root / name / "scorecard.json")
    return made


@pytest.mark.parametrize("name", ["flag_none", "oracle", "redacting"])
def test_a_written_scorecard_round_trips_to_its_exact_bytes(runs, name):
    sc, path = runs[name]
    text = path.read_text()
    assert dumps(Scorecard.from_dict(sc)) == text  # the dict phibench.run.report made
    stored = json.loads(text)
    card = Scorecard.from_dict(stored)
    assert dumps(card) == text and card.to_dict() == stored
    assert list(card.to_dict()) == list(stored)  # key order, nested too (json text equal)
    assert not card.absent_keys and not card.extra_keys
    assert card == Scorecard.from_dict(card.to_dict())


def test_fields_are_the_sections_reporters_read(runs):
    sc, path = runs["oracle"]
    card = read_scorecard(path)
    assert isinstance(card.confusion, ConfusionCounts)
    assert card.confusion.errors == sc["confusion"]["errors"] > 0
    recall = card.metrics["recall"]
    assert isinstance(recall, Estimate) and recall.value == sc["metrics"]["recall"]["value"]
    assert recall.k == sc["metrics"]["recall"]["k"] and recall.higher_is_better
    assert not card.metrics["error_rate"].higher_is_better
    assert isinstance(card.threshold_free, ThresholdFree)
    assert isinstance(card.threshold_free.auroc, Auroc)
    assert card.threshold_free.auroc.se is not None and card.threshold_free.auroc.ci_low is not None
    assert card.endpoints == () and card.detector_name == "header_oracle"
    assert card.errors_by_stage == sc["errors_by_stage"] and card.redaction is None
    assert card.provenance["dataset_fingerprint"] == sc["provenance"]["dataset_fingerprint"]

    red = Scorecard.from_dict(runs["redacting"][0]).redaction
    assert red is not None
    assert red.files_written == runs["redacting"][0]["redaction"]["files_written"] > 0
    outside = red.metrics["masked_area_outside_phi"]
    assert outside.k is None and "k" in outside.absent_keys and "k" not in outside.to_dict()


def test_code_written_for_the_dict_reads_the_record_too(runs):
    sc, _ = runs["flag_none"]
    card = Scorecard.from_dict(sc)
    assert card["metrics"]["recall"]["value"] == sc["metrics"]["recall"]["value"]
    assert card.get("confusion").get("tn") == sc["confusion"]["tn"]
    assert card.get("nope", "default") == "default" and "nope" not in card and "samples" in card
    with pytest.raises(KeyError):
        card["absent_keys"]  # bookkeeping is not a stored key


def _v1_0(current: dict) -> dict:
    """A scorecard of schema 1.0 (phibench 0d8c8b8): no redactor, redaction, threshold_free,
    fingerprint, planned/missing samples or provenance; run_dir after versions."""
    old = {k: copy.deepcopy(v) for k, v in current.items()
           if k not in ("threshold_free", "redactor", "redaction", "fingerprint", "planned_samples",
                        "missing_samples", "provenance")}
    old["schema_version"] = "1.0"
    return old


def test_an_old_scorecard_reads_with_defaults_and_round_trips(runs):
    old = _v1_0(json.loads(runs["flag_none"][1].read_text()))
    card = Scorecard.from_dict(old)
    assert card.schema_version == "1.0"
    assert card.threshold_free is None and card.redaction is None and card.redactor is None
    assert card.provenance is None and card.fingerprint is None and card.planned_samples is None
    assert card.absent_keys == {"threshold_free", "redactor", "redaction", "fingerprint",
                                "planned_samples", "missing_samples", "provenance"}
    assert json.dumps(card.to_dict(), indent=2) == json.dumps(old, indent=2)
    assert card.get("provenance", "absent") == "absent"


def test_an_early_1_2_auroc_without_se_and_newer_keys_are_kept(runs):
    stored = json.loads(runs["oracle"][1].read_text())
    del stored["threshold_free"]["auroc"]["se"]
    stored["from_the_future"] = {"x": 1}
    stored["metrics"]["recall"]["new_field"] = 2
    card = Scorecard.from_dict(stored)
    assert card.threshold_free.auroc.se is None and card.extra_keys == {"from_the_future": {"x": 1}}
    assert card.metrics["recall"].extra_keys == {"new_field": 2}
    assert json.dumps(card.to_dict(), indent=2) == json.dumps(stored, indent=2)


BASELINES = sorted((REPO / "benchmarks" / "baselines").glob("*/scorecard.json"))


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.parent.name)
def test_the_committed_baselines_round_trip(path):
    text = path.read_text()
    assert dumps(Scorecard.from_dict(json.loads(text))) == text


def test_what_is_not_a_scorecard_is_refused(tmp_path):
    with pytest.raises(TypeError, match="JSON object"):
        Scorecard.from_dict(["metrics"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Estimate must be a JSON object"):
        Scorecard.from_dict({"metrics": {"recall": 0.9}})
    bad = tmp_path / "scorecard.json"
    for content, said in (("[1]", "no 'metrics'"), ("{", "cannot be read"),
                          ('{"metrics": {"recall": 1}}', "not a phibench scorecard")):
        bad.write_text(content)
        with pytest.raises(ConfigError, match=said):
            read_scorecard(bad)


def test_reporters_get_the_record(tmp_path):
    SEEN.clear()
    with extra_plugins("tests.records.test_scorecard"):
        cfg = compose_run("detector=flag_all", *synthetic_overrides(tmp_path / "data", 2),
                          "executor=inline", "run.progress=false", "reporters=[spy,json]")
        sc = execute(cfg, tmp_path / "run")
    assert len(SEEN) == 1 and isinstance(SEEN[0], Scorecard)
    assert SEEN[0].to_dict() == sc == json.loads((tmp_path / "run" / "scorecard.json").read_text())


SEEN: list[Scorecard] = []


class Spy(Reporter):
    """Keeps what it is given."""

    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        SEEN.append(scorecard)


@hookimpl
def phibench_register_reporters(register):
    register.add("spy", Spy)


def test_a_1_2_card_without_region_overall_reads_and_round_trips(runs):
    stored = json.loads(runs["oracle"][1].read_text())
    assert stored["schema_version"] == "1.3" and "regions" in stored["per_category"]
    del stored["per_category"]["regions"]
    stored["schema_version"] = "1.2"
    card = Scorecard.from_dict(stored)
    assert card.per_category.regions is None and "regions" in card.per_category.absent_keys
    assert json.dumps(card.to_dict(), indent=2) == json.dumps(stored, indent=2)
