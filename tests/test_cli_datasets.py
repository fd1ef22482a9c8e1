"""``phibench datasets list`` and ``phibench datasets show NAME [dataset.KEY=VALUE ...]``."""

from __future__ import annotations

import re

import pydicom
import pytest
from pydicom.data import get_testdata_file

from phibench import hookimpl
from phibench.cli import main
from phibench.dataset import Dataset
from phibench.registry import Register
from tests.helpers import extra_plugins


class CardlessDataset(Dataset):
    """A third party's dataset that never wrote a card."""


@hookimpl
def phibench_register_datasets(register: Register) -> None:
    register.add("cardless_test", CardlessDataset)


def test_list_names_every_dataset_with_its_summary(capsys):
    assert main(["datasets", "list"]) == 0
    lines = dict(line.split("\t", 1) for line in capsys.readouterr().out.splitlines())
    assert {"synthetic", "folder", "overlay"} <= set(lines)
    assert "(no card)" not in lines["synthetic"] + lines["folder"] + lines["overlay"]
    assert lines["overlay"].startswith("Semi-synthetic DICOM")


def test_list_and_show_a_plugin_without_a_card(capsys):
    with extra_plugins("tests.test_cli_datasets"):
        assert main(["datasets", "list"]) == 0
        out = capsys.readouterr().out
        assert re.search(r"^cardless_test\t\(no card\)\t", out, re.M)
        assert main(["datasets", "show", "cardless_test"]) == 0
        out = capsys.readouterr().out
        assert "no card" in out and "cannot be planned" in out


def test_show_prints_the_card_and_the_fingerprint_of_a_folder(tmp_path, capsys):
    pydicom.dcmread(get_testdata_file("CT_small.dcm")).save_as(tmp_path / "a.dcm")
    (tmp_path / "labels.csv").write_text("path,has_phi\na.dcm,0\n", encoding="utf-8")
    args = ["datasets", "show", "folder", f"dataset.root={tmp_path}", "dataset.labels=labels.csv"]
    assert main(args) == 0
    out = capsys.readouterr().out
    for label in ("summary:", "label rules:", "source:", "licence:", "format:"):
        assert label in out
    assert "samples: 1" in out
    fingerprint = re.search(r"dataset fingerprint: ([0-9a-f]{64})", out).group(1)
    assert main(args) == 0 and fingerprint in capsys.readouterr().out  # stable


def test_show_never_generates_a_dataset(tmp_path, capsys):
    out_dir = tmp_path / "never"
    assert main(["datasets", "show", "synthetic", f"dataset.out={out_dir}"]) == 0
    assert "not generated yet" in capsys.readouterr().out and not out_dir.exists()


def test_show_make_generates_then_plans(tmp_path, capsys):
    args = ["datasets", "show", "overlay", "dataset.n=2", f"dataset.out={tmp_path}", "--make"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "samples: 2" in out and "Rutherford" in out


@pytest.mark.parametrize("bad", ["n", "dataset.a.b=1"])
def test_show_refuses_a_malformed_parameter(bad, capsys):
    assert main(["datasets", "show", "synthetic", bad]) == 2
    assert "dataset.KEY=VALUE" in capsys.readouterr().err


def test_show_an_unknown_dataset_lists_the_known_ones(capsys):
    assert main(["datasets", "show", "nope"]) == 2
    assert "overlay" in capsys.readouterr().err
