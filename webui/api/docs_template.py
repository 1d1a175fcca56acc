"""The HTML reference page, rendered server-side from the OpenAPI document (autoescaped),
with a "try it" form under each operation that sends the request from the browser
(``SCRIPT``, served as /api/v1/docs.js: no inline script, no CDN, output written as text)."""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.info.title }} — reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2328;background:#fafafa}
main{max-width:980px;margin:0 auto;padding:1.5rem}
nav{background:#1d3b2a;color:#fff;padding:.8rem 1.5rem}nav a{color:#cfe8d6;margin-right:1rem}
h1{margin:.2rem 0}h2{border-bottom:2px solid #1d3b2a;padding-top:1rem}
.op{background:#fff;border:1px solid #d8dde2;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.2em;font-weight:700;font-family:monospace;padding:0 .4em;border-radius:3px;color:#fff}
.get{background:#2f6f4f}.post{background:#2b5c8a}.put{background:#8a6a2b}.delete{background:#8a2b2b}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f1f3f5;padding:.6rem;overflow:auto}
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{border-bottom:1px solid #e4e7ea;text-align:left;padding:.2rem .4rem;vertical-align:top}
.desc{white-space:pre-line}.muted{color:#5b6670}
.try{margin:.4rem 0}.try summary{cursor:pointer;color:#2b5c8a}.try label{display:block;margin:.2rem 0}
.try input[type=text]{width:24em}.try textarea{width:100%;height:6em;font-family:ui-monospace,monospace}
#token{width:30em}
</style><script src="docs.js" defer></script></head><body>
<nav><strong>{{ spec.info.title }}</strong> {{ spec.info.version }} ·
<a href="openapi.json">openapi.json</a>{% for t in tags %}<a href="#tag-{{ t }}">{{ t }}</a>{% endfor %}</nav>
<main>
<h1>{{ spec.info.title }}</h1>
<p class="desc">{{ spec.info.description }}</p>
<p><label>Token for "try it" (kept in this page only): <input id="token" type="password" autocomplete="off"
placeholder="coop_pat_… (leave empty for public reads)"></label></p>
{% for tag, ops in tags.items() %}
<h2 id="tag-{{ tag }}">{{ tag }}</h2>
{% for op in ops %}
<section class="op" id="{{ op.operationId }}">
<div><span class="m {{ op.method|lower }}">{{ op.method }}</span> <code>{{ op.path }}</code> — {{ op.summary }}</div>
<p class="desc">{{ op.description }}</p>
{% set params = op.parameters or [] %}
{% if params %}<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
{% for p in params %}<tr><td><code>{{ p.name }}</code>{% if p.required %} *{% endif %}</td><td>{{ p["in"] }}</td>
<td>{{ type_label(spec, p.schema or {}) }}</td><td>{{ p.description or "" }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.requestBody %}{% set body = op.requestBody.content["application/json"].schema %}
<p><strong>Body</strong> (application/json): <a href="#schema-{{ type_label(spec, body) }}">{{ type_label(spec, body) }}</a></p>{% endif %}
<details class="try"><summary>Try it</summary>
<form class="try-form" data-method="{{ op.method }}" data-path="{{ op.path }}">
{% for p in params if p["in"] == "path" %}<label><code>{{ p.name }}</code> <input type="text" name="{{ p.name }}" required
value="{{ p.schema.example if p.schema.example is defined else '' }}"></label>{% endfor %}
{% if params | selectattr("in", "equalto", "query") | list %}<label>query <input type="text" name="_query" placeholder="limit=5"></label>{% endif %}
{% if op.requestBody %}<label>body (JSON)<textarea name="_body">{}</textarea></label>{% endif %}
<button type="submit">Send {{ op.method }}</button></form>
<pre class="try-out" hidden></pre></details>
<p><strong>Responses</strong>: {% for code, r in op.responses.items() %}{% if r.content %}{% for mime, c in r.content.items() %}<code>{{ code }}</code> <a href="#schema-{{ type_label(spec, c.schema) }}">{{ type_label(spec, c.schema) }}</a>{% endfor %}{% else %}<code>{{ code }}</code> {{ r.description }}{% endif %}{% if not loop.last %} · {% endif %}{% endfor %}</p>
</section>
{% endfor %}{% endfor %}
<h2 id="schemas">Schemas</h2>
{% for name, schema in spec.components.schemas.items() %}
<section class="op" id="schema-{{ name }}"><strong>{{ name }}</strong>{% if schema.description %} <span class="muted">{{ schema.description }}</span>{% endif %}
<table><tr><th>field</th><th>type</th><th>description</th></tr>
{% for field, prop in (schema.properties or {}).items() %}<tr><td><code>{{ field }}</code>{% if field in (schema.required or []) %} *{% endif %}{% if prop.readOnly %} <span class="muted">read-only</span>{% endif %}</td>
<td>{{ type_label(spec, prop) }}</td><td>{{ prop.description or "" }}{% if prop.example is defined %} <span class="muted">e.g. {{ json.dumps(prop.example) }}</span>{% endif %}</td></tr>{% endfor %}
</table></section>
{% endfor %}
</main></body></html>
"""


SCRIPT = """'use strict';
// "Try it": send the operation's request from this page and show the answer as text.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!form.classList.contains('try-form')) return;
  event.preventDefault();
  const out = form.parentElement.querySelector('.try-out');
  let path = form.dataset.path;
  for (const input of form.querySelectorAll('input[type=text]')) {
    if (input.name !== '_query') path = path.replace('{' + input.name + '}', encodeURIComponent(input.value));
  }
  const query = form.elements._query ? form.elements._query.value.trim().replace(/^[?]/, '') : '';
  const headers = {Accept: 'application/json'};
  const token = document.getElementById('token').value.trim();
  if (token) headers.Authorization = 'Bearer ' + token;
  const init = {method: form.dataset.method, headers: headers, credentials: 'omit'};
  if (form.elements._body && form.elements._body.value.trim()) {
    headers['Content-Type'] = 'application/json';
    init.body = form.elements._body.value;
  }
  out.hidden = false;
  out.textContent = form.dataset.method + ' ' + path + (query ? '?' + query : '') + ' …';
  try {
    const response = await fetch(path + (query ? '?' + query : ''), init);
    const text = await response.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: as is */ }
    const kept = ['content-type', 'link', 'etag', 'cache-control', 'retry-after', 'www-authenticate'];
    const lines = kept.filter((h) => response.headers.get(h)).map((h) => h + ': ' + response.headers.get(h));
    out.textContent = response.status + ' ' + response.statusText + '\\n' + lines.join('\\n') + '\\n\\n' + shown;
  } catch (error) {
    out.textContent = 'request failed: ' + error;
  }
});
"""
