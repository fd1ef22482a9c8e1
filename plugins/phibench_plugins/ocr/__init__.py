"""Built-in OCR engines, shared by detectors and redactors."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_ocr_engines(register: Register) -> None:
    from phibench_plugins.ocr.easyocr_engine import EasyOcrEngine

    register.add("easyocr", EasyOcrEngine)
