"""Loaders of public ground-truth formats, each a dataset plugin with its card.

- :mod:`.presidio`: ``dataset=presidio``, the JSON of Presidio's DICOM evaluator.
- :mod:`.midi_b`: ``dataset=midi_b``, the MIDI-B challenge answer key (SQLite), by UID.
- :mod:`.regions_table`: ``dataset=regions_table``, a COCO-style JSON or a regions CSV.

They share :mod:`.common` (label checks and planning) and :mod:`.json_lines` (line numbers of a
JSON file's members, for error messages that cannot quote the value).
"""

from phibench_plugins.datasets.formats.midi_b import MidiBDataset
from phibench_plugins.datasets.formats.presidio import PresidioDataset
from phibench_plugins.datasets.formats.regions_table import RegionsTableDataset

__all__ = ["MidiBDataset", "PresidioDataset", "RegionsTableDataset"]
