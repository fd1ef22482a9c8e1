"""Built-in detectors: the local OCR detector, the flag-all / flag-none baselines and the VLMs."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_detectors(register: Register) -> None:
    from phibench_plugins.detectors.baselines import FlagAll, FlagNone
    from phibench_plugins.detectors.local import LocalDetector
    from phibench_plugins.detectors.ocr_llm import OcrLlmDetector
    from phibench_plugins.detectors.presidio import PresidioDetector
    from phibench_plugins.detectors.vlm import (
        AnthropicMessagesDetector,
        Llama4MaverickDetector,
        OpenAIChatDetector,
        OpenAICompatibleDetector,
    )

    register.add("local", LocalDetector)
    register.add("flag_all", FlagAll)
    register.add("flag_none", FlagNone)
    register.add("gpt4o", OpenAIChatDetector)
    register.add("claude", AnthropicMessagesDetector)
    register.add("llama4_maverick", Llama4MaverickDetector)
    register.add("openai_compatible", OpenAICompatibleDetector)
    register.add("ocr_llm", OcrLlmDetector)
    register.add("presidio", PresidioDetector)
