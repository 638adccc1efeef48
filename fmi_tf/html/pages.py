"""The one Jinja2 environment that renders every page, and its assets.

Templates, style sheets and scripts are package data under `templates/`.
Autoescape is on for every template, so every value that reaches a page
is escaped by construction; an undefined name is an error, never an empty
string.
"""

import functools
from importlib import resources

import jinja2

_TEMPLATES = "templates"


def stem(index: int) -> str:
  """A filter's file stem: `3` -> `0003`."""
  return f"{index:04d}"


def _number(value) -> str:
  if isinstance(value, float):
    return f"{value:.4g}"
  return str(value)


@functools.cache
def _environment() -> jinja2.Environment:
  environment = jinja2.Environment(
      loader=jinja2.PackageLoader("fmi_tf.html", _TEMPLATES),
      autoescape=True, undefined=jinja2.StrictUndefined,
      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
  environment.filters["stem"] = stem
  environment.filters["number"] = _number
  return environment


def render(template: str, **context) -> str:
  """The HTML of a template (a file name under `templates/`)."""
  return _environment().get_template(template).render(**context)


def asset(name: str) -> str:
  """The text of a shipped asset (a style sheet or a script)."""
  return (resources.files("fmi_tf.html") / _TEMPLATES / name
          ).read_text(encoding="utf8")
