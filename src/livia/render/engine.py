"""The Jinja2 environment the renderers share: templates that only loop and print."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """One environment per process; it holds nothing but the compiled templates.

    Autoescaping is off because none of the output is HTML: every value that
    reaches a template was checked or quoted for its target format beforehand.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the package: no stat() per render
    )


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
