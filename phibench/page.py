"""The head every self-contained HTML page of phibench starts with (``report.html``, ``phibench
compare --html``): a Content-Security-Policy that lets the page load nothing but its own data-URI
images and inline style, and the shared stylesheet. A Jinja2 fragment: ``{{ title }}`` is filled
by the page's template."""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1300px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1em; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .plot { max-width: 100%; } .note { color: #666; font-size: .9em; }
"""


def head(extra_css: str = "") -> str:
    """``<!DOCTYPE html>`` up to ``</head>``, with the page's own rules after the shared ones."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        "<title>{{ title }}</title>\n<style>\n" + STYLE + extra_css + "</style></head>\n"
    )
