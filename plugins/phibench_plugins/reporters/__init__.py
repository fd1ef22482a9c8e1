"""Built-in reporters: ``json`` (scorecard.json), ``markdown`` (scorecard.md), ``html``
(report.html), ``terminal``, and ``mlflow`` (MLflow tracking; the ``[mlflow]`` extra)."""

from phibench import hookimpl
from phibench.registry import Register


@hookimpl
def phibench_register_reporters(register: Register) -> None:
    from phibench_plugins.reporters.html_reporter import HtmlReporter
    from phibench_plugins.reporters.json_reporter import JsonReporter
    from phibench_plugins.reporters.markdown_reporter import MarkdownReporter
    from phibench_plugins.reporters.mlflow_reporter import MlflowReporter
    from phibench_plugins.reporters.terminal_reporter import TerminalReporter

    register.add("json", JsonReporter)
    register.add("markdown", MarkdownReporter)
    register.add("html", HtmlReporter)
    register.add("terminal", TerminalReporter)
    register.add("mlflow", MlflowReporter)
