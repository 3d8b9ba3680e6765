"""The dashboard's pages, as Jinja2 templates with autoescape on: every value
(supplier and agency names are untrusted input) is escaped when rendered, so
a name such as ``<script>`` shows as text.

Chart data goes into the page as JSON inside a ``<script
type="application/json">`` block with ``<``, ``>`` and ``&`` written as
``\\u003c`` and so on, so no value can close the block; the page's own script
is a separate file (:func:`script`) so the content security policy can
refuse every inline script.

Kept in Python rather than as template files so that they ship with the
package wherever it is installed.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape

from totalplace.money import display_pounds

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{% block title %}{{ title }}{% endblock %} · totalplace</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1280px; padding: 0 1rem;
       color: #1b1b1b; }
header { display: flex; justify-content: space-between; align-items: center;
         border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; }
td.money, th.money { text-align: right; font-variant-numeric: tabular-nums; }
.pair { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.chart { flex: 1 1 600px; min-height: 420px; }
.notice { background: #fff4ce; border: 1px solid #e0c36a; padding: 0.75rem; }
.error { background: #fde7e9; border: 1px solid #d13438; padding: 0.75rem; }
.figure { font-size: 1.6rem; font-weight: 600; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 1rem; padding: 0.5rem 0;
         margin: 0; }
nav a[aria-current] { font-weight: 700; }
.skip { position: absolute; left: -10000px; }
.skip:focus { position: static; }
.download { font-size: 0.9rem; }
.scroll { max-height: 440px; overflow: auto; }
</style>
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<nav aria-label="Pages"><ul>
{% for label, href in nav %}<li><a href="{{ href }}"{% if path == href %} aria-current="page"{%
 endif %}>{{ label }}</a></li>{% endfor %}
</ul></nav>
<header>
<h1>{{ title }}</h1>
{% if user and login_required %}
<form method="post" action="/logout">
<span>{{ user.name }} ({{ user.role }})</span>
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<button type="submit">Log out</button>
</form>
{% endif %}
</header>
<main id="main">
{% block main %}{% endblock %}
</main>
</body>
</html>
"""

LOGIN = """{% extends "base.html" %}
{% block main %}
{% if message %}<p class="error" role="alert">{{ message }}</p>{% endif %}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<p><label for="name">User name</label><br>
<input id="name" name="name" autocomplete="username" required></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password"
 required></p>
<p><button type="submit">Log in</button></p>
</form>
{% endblock %}
"""

_TEMPLATES: dict[str, str] = {"base.html": BASE, "login.html": LOGIN}
# The pages' scripts by file name, served at /static/<name>.
SCRIPTS: dict[str, str] = {}
# The pages in the navigation bar, in order: (label, path).
NAV: list[tuple[str, str]] = []

env = Environment(
    loader=DictLoader(_TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def register(name: str, source: str) -> None:
    """Add a page's template (it may extend ``base.html``)."""
    _TEMPLATES[name] = source


def script(name: str, source: str) -> None:
    """Add a page's script, served at ``/static/<name>``: no page has an
    inline script, so the content security policy can refuse them all."""
    SCRIPTS[name] = source


def nav(label: str, path: str) -> None:
    """Add a page to the navigation bar (once)."""
    if (label, path) not in NAV:
        NAV.append((label, path))


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _people(n: int | None, threshold: int) -> str:
    """A count of people, or the words that stand for one withheld
    (:meth:`totalplace.web.site.Site.people`)."""
    return f"{n:,}" if n is not None else f"fewer than {threshold}"


env.globals.update(money=display_pounds, share=_share, nav=NAV, people=_people)


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` block: no value can end the block or
    open markup.  Returned as markup-safe so autoescape leaves it alone."""
    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render(name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)
