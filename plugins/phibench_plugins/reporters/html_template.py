"""The Jinja2 template of ``report.html``: one self-contained page (inline CSS, data-URI images).

It links to nothing and loads nothing: no script, no font, no stylesheet, no ``http(s)`` URL.
Every value is autoescaped.
"""

from phibench import page

TEMPLATE = page.head(""".warn { background: #fff3cd; padding: .5em 1em; border: 1px solid #e0c060; }
.cases { display: flex; flex-wrap: wrap; gap: 12px; }
.case { border: 1px solid #ccc; padding: 6px; width: 340px; background: #fafafa; }
.case img { max-width: 100%; display: block; margin-bottom: 4px; background: #000; }
.case .msg { font-family: ui-monospace, monospace; font-size: .85em; white-space: pre-wrap; word-break: break-word; color: #900; }
.key span { display: inline-block; width: 1em; height: 1em; vertical-align: middle; margin: 0 .3em 0 1em; }
""") + """<body>
<h1>{{ title }}</h1>
<p class="note">Rates are over answered, labeled samples, with 95% Wilson intervals; errors are counted apart and never as
negatives. Made from results.parquet of {{ sc.run_dir }}.</p>
{% if show_phi %}<p class="warn" id="phi-warning">This report shows original frames: it contains PHI. Do not share it.</p>{% endif %}

<h2 id="confusion">Confusion matrix</h2>
<img class="plot" data-kind="plot" alt="confusion matrix" src="{{ plots.confusion }}">
<table id="confusion-table"><tr><th></th><th>count</th></tr>
{% for label, value in confusion_rows %}<tr><td>{{ label }}</td><td data-count="{{ label }}">{{ value }}</td></tr>{% endfor %}
</table>

<h2 id="rates">Detection rates</h2>
{% if plots.rates %}<img class="plot" data-kind="plot" alt="rates with intervals" src="{{ plots.rates }}">{% endif %}
<table><tr><th>metric</th><th>value [95% CI]</th><th>k/n</th></tr>
{% for row in metric_rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if plots.curves %}<img class="plot" data-kind="plot" alt="ROC and precision-recall curves" src="{{ plots.curves }}">{% endif %}

{% if category_rows %}<h2 id="categories">Recall per PHI category</h2>
{% if plots.categories %}<img class="plot" data-kind="plot" alt="recall per category" src="{{ plots.categories }}">{% endif %}
<table><tr><th>category</th><th>image recall [95% CI]</th><th>region recall [95% CI]</th></tr>
{% for row in category_rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>{% endif %}

{% if region_rows %}<h2 id="regions">Regions, all categories</h2>
<table><tr><th>metric</th><th>value [95% CI]</th><th>k/n</th></tr>
{% for row in region_rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>{% endif %}

{% if non_phi_rows %}<h2 id="harmless">Harmless text flagged as PHI</h2>
{% if plots.non_phi %}<img class="plot" data-kind="plot" alt="harmless text flagged" src="{{ plots.non_phi }}">{% endif %}
<table><tr><th>category</th><th>share flagged [95% CI]</th><th>k/n</th></tr>
{% for row in non_phi_rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>{% endif %}

<h2 id="cost">Cost vs recall across detectors</h2>
{% if plots.cost %}<img class="plot" data-kind="plot" alt="cost vs recall" src="{{ plots.cost }}">
<p class="note">This run and {{ siblings }} other run(s) found next to it.</p>{% else %}<p class="note">No recall or cost to plot.</p>{% endif %}

<h2 id="latency">Latency</h2>
{% if plots.latency %}<img class="plot" data-kind="plot" alt="latency histogram" src="{{ plots.latency }}">{% else %}<p class="note">No latencies recorded.</p>{% endif %}
<table>{% for a, b in run_rows %}<tr><td>{{ a }}</td><td>{{ b }}</td></tr>{% endfor %}</table>

{% if redaction_rows %}<h2 id="redaction">Redaction quality</h2>
{% if plots.redaction %}<img class="plot" data-kind="plot" alt="redaction quality" src="{{ plots.redaction }}">{% endif %}
<table><tr><th>metric</th><th>value [95% CI]</th><th>k/n</th></tr>
{% for row in redaction_rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>
<table>{% for a, b in redaction_run_rows %}<tr><td>{{ a }}</td><td>{{ b }}</td></tr>{% endfor %}</table>{% endif %}

<h2 id="gallery">Cases that matter</h2>
<p class="key">Boxes:<span style="background:rgb{{ truth_colour }}"></span>ground-truth PHI region
<span style="background:rgb{{ found_colour }}"></span>found by the detector.
{% if not show_phi %}Original frames are hidden (they hold PHI); set show_phi to see them.{% endif %}</p>
{% for s in sections %}<h3 id="cases-{{ s.kind }}">{{ s.heading }}: <span class="case-count">{{ s.total }}</span>{% if s.total > s.shown|length %} (showing {{ s.shown|length }}){% endif %}</h3>
{% if s.shown %}<div class="cases">{% for c, imgs, note in s.shown %}<div class="case" data-case="{{ s.kind }}">
{% for t in imgs %}<img data-kind="{{ t.kind }}" alt="{{ t.caption }}" title="{{ t.caption }}" src="{{ t.uri }}">{% endfor %}
<div><b>{{ c.file }}</b> frame {{ c.frame }}</div>
{% if c.categories %}<div>category: {{ c.categories }}</div>{% endif %}
{% if c.stage %}<div>stage: {{ c.stage }}</div>{% endif %}
{% if c.message %}<div class="msg">{{ c.message }}</div>{% endif %}
{% if note %}<div class="note">{{ note }}</div>{% endif %}
</div>{% endfor %}</div>{% else %}<p class="note">None.</p>{% endif %}
{% endfor %}

<h2 id="provenance">Provenance</h2>
<table>{% for a, b in provenance_rows %}<tr><td>{{ a }}</td><td>{{ b }}</td></tr>{% endfor %}</table>
</body></html>
"""
