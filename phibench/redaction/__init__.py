"""Redaction: the policy, the geometry, the per-file stage and the residual-PHI check.

Redactor plugins (:class:`phibench.redactor.Redactor`) only choose boxes; this package does the
rest the same way for all of them. Writing the DICOM file is :func:`phibench.dicom.write_redacted`.
"""

from phibench.redaction.stage import COLUMNS, FileRedaction, Item, RedactionSpec, output_path

__all__ = ["COLUMNS", "FileRedaction", "Item", "RedactionSpec", "output_path"]
