"""Built-in detectors: the local OCR detector, the flag-all / flag-none baselines and the VLMs."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_detectors(register: Register) -> None:
    from phibench_plugins.detectors.baselines import FlagAll, FlagNone
    from phibench_plugins.detectors.local import LocalDetector
    from phibench_plugins.detectors.ocr_llm import OcrLlmDetector
    from phibench_plugins.detectors.presidio import PresidioDetector
    from phibench_plugins.detectors.vlm import PRESETS

    register.add("local", LocalDetector)
    register.add("flag_all", FlagAll)
    register.add("flag_none", FlagNone)
    for name, preset in PRESETS.items():  # gpt4o, claude, llama4_maverick, openai_compatible
        register.add(name, preset.cls, **preset.defaults)
    register.add("ocr_llm", OcrLlmDetector)
    register.add("presidio", PresidioDetector)
