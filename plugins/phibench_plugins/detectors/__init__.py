"""Built-in detectors: the local OCR detector and the flag-all / flag-none baselines."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_detectors(register: Register) -> None:
    from phibench_plugins.detectors.baselines import FlagAll, FlagNone
    from phibench_plugins.detectors.local import LocalDetector

    register.add("local", LocalDetector)
    register.add("flag_all", FlagAll)
    register.add("flag_none", FlagNone)
