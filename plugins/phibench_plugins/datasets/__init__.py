"""Built-in datasets: ``synthetic`` and ``overlay`` (generated, with ground truth), ``folder`` (your
files), and the public label formats ``presidio``, ``midi_b`` and ``regions_table``."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_datasets(register: Register) -> None:
    from phibench_plugins.datasets.folder import FolderDataset
    from phibench_plugins.datasets.formats import (
        MidiBDataset,
        PresidioDataset,
        RegionsTableDataset,
    )
    from phibench_plugins.datasets.overlay import OverlayDataset
    from phibench_plugins.datasets.synthetic import SyntheticDataset

    register.add("synthetic", SyntheticDataset)
    register.add("folder", FolderDataset)
    register.add("presidio", PresidioDataset)
    register.add("midi_b", MidiBDataset)
    register.add("regions_table", RegionsTableDataset)
    register.add("overlay", OverlayDataset)
