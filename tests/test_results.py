import pandas as pd

from phibench.results import COLUMNS, ResultStore


def row(i, finished, pred=True):
    return {"sample_id": f"s{i}", "path": f"/d/{i}.dcm", "frame": 0, "has_phi_pred": pred, "finished_at": finished}


def test_appended_parts_read_back_with_pandas_and_latest_row_wins(tmp_path):
    store = ResultStore(tmp_path)
    store.append([row(1, 1.0), row(2, 1.0)])
    store.append([row(2, 2.0, pred=False)])
    assert store.append([]) == 0
    raw = pd.read_parquet(tmp_path / "results.parquet")  # what other tools do
    assert len(raw) == 3 and list(raw.columns) == COLUMNS
    df = store.read()
    assert df["sample_id"].tolist() == ["s1", "s2"]
    assert df.loc[df.sample_id == "s2", "has_phi_pred"].item() is False
    assert store.done_ids() == {"s1", "s2"}


def test_an_unfinished_temp_part_is_invisible(tmp_path):
    store = ResultStore(tmp_path)
    store.append([row(1, 1.0)])
    (store.path / ".part-x.parquet.tmp").write_bytes(b"PAR1 half written")
    assert len(pd.read_parquet(store.path)) == 1
    assert store.done_ids() == {"s1"}


def test_empty_store_reads_as_empty_frame_with_all_columns(tmp_path):
    df = ResultStore(tmp_path).read()
    assert df.empty and list(df.columns) == COLUMNS
