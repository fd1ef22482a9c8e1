"""Built-in OCR engines, shared by detectors and redactors."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_ocr_engines(register: Register) -> None:
    from phibench_plugins.ocr.easyocr_engine import EasyOcrEngine
    from phibench_plugins.ocr.ensemble_engine import EnsembleEngine
    from phibench_plugins.ocr.rapidocr_engine import RapidOcrEngine
    from phibench_plugins.ocr.tesseract_engine import TesseractEngine

    register.add("easyocr", EasyOcrEngine)
    register.add("tesseract", TesseractEngine)
    register.add("rapidocr", RapidOcrEngine)
    register.add("ensemble", EnsembleEngine)
