"""Built-in executors: ``spark`` (the default: local[*] or a cluster) and ``inline`` (debugging)."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_executors(register: Register) -> None:
    from phibench_plugins.executors.inline import InlineExecutor
    from phibench_plugins.executors.spark import SparkExecutor

    register.add("inline", InlineExecutor)
    register.add("spark", SparkExecutor)
