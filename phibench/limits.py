"""Bounds on what one input may cost, checked from the header before anything is decoded.

A benchmark reads files nobody vetted. A 10 KB file may claim 2^31 frames, a 600-byte RLE header
60000 x 60000 pixels, a 250 KB deflated file may inflate to a gigabyte. Every such claim is
checked against these limits (and against what the file's size can hold) before planning expands
frames or a decoder allocates memory; a violation is that sample's error, never a crash or a
stall of the run. Configured under ``run.limits.`` (e.g. ``run.limits.max_frames=500000``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    """What one file may claim. Defaults admit every real modality seen so far, whole-slide
    DICOM included, with room to spare; raise them for unusual archives. (Not frozen: it is a
    Hydra structured-config node, and OmegaConf makes frozen dataclasses read-only.)"""

    max_frames: int = 100_000
    """Frames one file may hold (Number of Frames)."""

    max_pixels_per_frame: int = 200_000_000
    """Rows x Columns of one frame (about 14,000 x 14,000)."""

    max_decoded_bytes: int = 4 * 1024**3
    """Bytes the decoded pixels of one whole file may take (all frames, all samples, as
    decoded), and bytes a deflated file may inflate to."""

    max_file_bytes: int = 8 * 1024**3
    """Size of one input file on disk."""

    def as_dict(self) -> dict[str, int]:
        return {
            "max_frames": self.max_frames,
            "max_pixels_per_frame": self.max_pixels_per_frame,
            "max_decoded_bytes": self.max_decoded_bytes,
            "max_file_bytes": self.max_file_bytes,
        }


DEFAULT_LIMITS = Limits()
