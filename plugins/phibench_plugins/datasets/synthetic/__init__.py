"""``dataset=synthetic``: generated DICOM files with burned-in text and exact ground truth.

See ``datasets/synthetic.md`` (the dataset card) for what the files hold and how they are made.
"""

from phibench_plugins.datasets.synthetic.generate import GENERATOR_VERSION, generate
from phibench_plugins.datasets.synthetic.plugin import SyntheticDataset

__all__ = ["GENERATOR_VERSION", "SyntheticDataset", "generate"]
