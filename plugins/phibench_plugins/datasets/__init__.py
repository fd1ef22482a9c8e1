"""Built-in datasets: ``synthetic`` (generated, with ground truth) and ``folder`` (your files)."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_datasets(register: Register) -> None:
    from phibench_plugins.datasets.folder import FolderDataset
    from phibench_plugins.datasets.synthetic import SyntheticDataset

    register.add("synthetic", SyntheticDataset)
    register.add("folder", FolderDataset)
