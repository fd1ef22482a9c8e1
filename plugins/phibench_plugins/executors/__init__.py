"""Built-in executors."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_executors(register: Register) -> None:
    from phibench_plugins.executors.inline import InlineExecutor

    register.add("inline", InlineExecutor)
