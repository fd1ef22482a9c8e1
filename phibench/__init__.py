"""phibench: measure how well PHI burned into medical images is found and removed.

Public names for plugin authors are re-exported here; the plugin contract is
:mod:`phibench.hookspecs`.
"""

from importlib.metadata import PackageNotFoundError, version

from phibench.hookspecs import hookimpl

try:
    __version__ = version("phibench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__", "hookimpl"]
