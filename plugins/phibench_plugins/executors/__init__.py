"""Built-in executors: ``spark`` (the default: local[*] or a cluster) and ``inline`` (debugging).

The Spark executor lives with the rest of phibench's Spark code, in :mod:`phibench.spark`; this
plugin only registers it, through the same hook and entry-point group as a third party's.
"""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_executors(register: Register) -> None:
    from phibench.spark.executor import SparkExecutor
    from phibench_plugins.executors.inline import InlineExecutor

    register.add("inline", InlineExecutor)
    register.add("spark", SparkExecutor)
