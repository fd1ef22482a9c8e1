"""Built-in redactors: they choose the boxes to mask; the core writes the redacted DICOM."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_redactors(register: Register) -> None:
    from phibench.ocr import OcrSettings
    from phibench_plugins.redactors.ocr_boxes import OcrBoxRedactor
    from phibench_plugins.redactors.presidio import PresidioRedactor

    register.add("easyocr", OcrBoxRedactor)  # the reference: EasyOCR's boxes
    # the same redactor on detector=local's engine (RapidOCR), so each frame is read once
    register.add("rapidocr", OcrBoxRedactor, ocr=OcrSettings("rapidocr"))
    register.add("presidio", PresidioRedactor)
