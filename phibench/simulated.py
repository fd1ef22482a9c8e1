"""How an answer from a simulated endpoint is marked, defined once: the local test servers
(:mod:`phibench.testing`) send :data:`HEADER`, the VLM clients append :data:`SUFFIX` to the
endpoint of such answers, and the scorecard says ``simulated: true`` when any endpoint ends with it.
A module of constants only, so a worker registering plugins imports nothing heavy for it."""

HEADER = "x-phibench-simulated"
"""Response header by which a local test server declares itself."""
SUFFIX = " (simulated)"
"""Appended to the endpoint label of answers that came with :data:`HEADER`."""
