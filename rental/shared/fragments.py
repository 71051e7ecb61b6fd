"""Rendering one block of a template (what an htmx request gets) with everything the block can
see when the whole page is rendered.

jinja2-fragments renders a block by calling its compiled function with a fresh context, so
names that the template defines at top level — `{% from "x.html" import input %}`,
`{% import "x.html" as forms %}`, top-level `{% macro %}` and `{% set %}`, also those of the
templates it extends — are missing there ("'input' is undefined"), although the full page
has them. Here the top-level definitions of the template and its parents are compiled once
into a small "prelude" template that runs into the block's context before the block does.
"""

from __future__ import annotations

import weakref
from typing import Any

from jinja2 import Environment, Template, nodes

_DEFINITIONS = (nodes.Import, nodes.FromImport, nodes.Macro, nodes.Assign)
_preludes: weakref.WeakKeyDictionary[Template, Template | None] = weakref.WeakKeyDictionary()


class BlockNotFoundError(LookupError):
    pass


def _definitions(env: Environment, name: str, seen: set[str]) -> list[nodes.Node]:
    """Top-level definitions of `name` and, first, of the templates it extends."""
    if name in seen:  # pragma: no cover - Jinja itself refuses extends cycles
        return []
    seen.add(name)
    source, _filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
    body = env.parse(source, name).body
    found: list[nodes.Node] = []
    for node in body:
        if isinstance(node, nodes.Extends) and isinstance(node.template, nodes.Const):
            found = _definitions(env, node.template.value, seen) + found
        elif isinstance(node, _DEFINITIONS):
            found.append(node)
    return found


def _prelude(env: Environment, template: Template) -> Template | None:
    if template in _preludes:
        return _preludes[template]
    definitions = _definitions(env, template.name or "", set()) if template.name else []
    prelude = None
    if definitions:
        tree = nodes.Template(definitions, lineno=1)
        tree.set_environment(env)
        code = env.compile(tree, template.name, template.filename)
        prelude = env.template_class.from_code(env, code, template.globals)
    _preludes[template] = prelude
    return prelude


def render_block(
    env: Environment, template_name: str, block_name: str, context: dict[str, Any]
) -> str:
    template = env.get_template(template_name)
    try:
        block = template.blocks[block_name]
    except KeyError:
        raise BlockNotFoundError(f"No block {block_name!r} in {template_name!r}") from None
    ctx = template.new_context(dict(context))
    prelude = _prelude(env, template)
    try:
        if prelude is not None:
            for _ in prelude.root_render_func(ctx):  # definitions only; nothing to output
                pass
        return env.concat(block(ctx))  # type: ignore[attr-defined]
    except Exception:
        env.handle_exception()
        raise  # pragma: no cover - handle_exception always raises
