"""Generated blocks inside hand-written pages: the prose around them is kept, only the text between
``<!-- generated: NAME -->`` and ``<!-- end generated -->`` is rewritten.

    >>> print(schema_type({"anyOf": [{"type": "string"}, {"type": "null"}]}))
    string or null

Blocks: one per contract of :func:`issues.contracts.json_schemas` (``docs/contracts.md``: fields
tables and the JSON Schema), ``layout`` (the repository to depth 2), ``modules`` (every module
with the first line of its docstring) and ``layers`` (the package layers ``tests/test_layers.py`` holds) and ``stages`` (the hour's stage calls, in the order
:func:`jobs.pipeline.hour.run_hour_core` makes them; ``docs/architecture.md``).
"""
from __future__ import annotations

import ast
import inspect
import json
import re

from reference_markdown import REPO, cell, rest_to_markdown

BLOCK = re.compile(r"<!-- generated: (\w+) -->\n.*?<!-- end generated -->", re.S)


def schema_type(prop: dict) -> str:
    """A JSON Schema property as a short type: ``string``, ``date-time``, ``array of FeedPost``, ..."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        kinds = [schema_type(p) for p in prop["anyOf"]]
        if "null" in kinds:
            return " or ".join(k for k in kinds if k != "null") + " or null"
        return " or ".join(kinds)
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("type") == "array":
        return "array of " + schema_type(prop.get("items", {}))
    return prop.get("format") or prop.get("type", "any")


def _constraints(prop: dict) -> str:
    words = {"minLength": "length >= {}", "maxLength": "length <= {}", "minimum": ">= {}", "maximum": "<= {}",
             "exclusiveMinimum": "> {}", "minItems": "at least {} item(s)"}
    found = [prop] + prop.get("anyOf", [])
    return ", ".join(words[k].format(p[k]) for p in found for k in words if k in p)


def model_table(name: str, model: dict) -> list[str]:
    out = [f"#### `{name}`", ""]
    if model.get("description"):
        out += [cell(rest_to_markdown(model["description"])), ""]
    properties = model.get("properties", {})
    if not properties:
        return out + ["No fields (`{}`).", ""]
    required = set(model.get("required", []))
    out += ["| field | type | required / default | rules | what |", "| --- | --- | --- | --- | --- |"]
    for field, prop in properties.items():
        need = "required" if field in required else (
            f"`{json.dumps(prop['default'], ensure_ascii=False)}`" if "default" in prop else "optional")
        out.append(f"| `{field}` | {cell(schema_type(prop))} | {need} | {cell(_constraints(prop))} | "
                   f"{cell(prop.get('description', ''))} |")
    return out + [""]


def contract_block(name: str, schema: dict) -> str:
    out = model_table(schema.get("title", name), schema)
    for sub_name, sub in schema.get("$defs", {}).items():
        out += model_table(sub_name, sub)
    out += [f"<details><summary>JSON Schema of <code>{name}</code></summary>", "", "```json",
            json.dumps(schema, indent=2, ensure_ascii=False), "```", "", "</details>"]
    return "\n".join(out)


RUNTIME = ("keywords", "issues", "titling", "clustering", "dictionaries", "crawler", "recommender", "jobs")
TOP = RUNTIME + ("benchmarks", "docs", "tests")
DATA = (".tsv", ".txt", ".toml", ".md", ".json")


def _shown(path) -> bool:
    return not path.name.startswith((".", "__")) and path.name != "__pycache__" and not path.name.endswith(".pyc")


def _entries(folder) -> list[str]:
    """A folder's Python modules, sub-packages and data files, as a reader lists them."""
    out = []
    for path in sorted(folder.iterdir()):
        if not _shown(path):
            continue
        if path.is_dir():
            if any(path.rglob("*.py")) or any(path.glob("*.json")):
                out.append(path.name + "/")
        elif path.suffix == ".py" or path.suffix in DATA:
            out.append(path.name)
    return out


def layout_block() -> list[str]:
    """The repository to depth 2: each top-level folder and what is in it."""
    lines = []
    for name in TOP:
        entries, line = _entries(REPO / name), f"{name + '/':<15}"
        for entry in entries:
            if len(line) + len(entry) > 100:
                lines.append(line.rstrip())
                line = " " * 15
            line += entry + "  "
        lines.append(line.rstrip())
    return ["```"] + lines + ["```"]


def first_line(path) -> str:
    """The first sentence of a module's docstring (read, not imported)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    head = " ".join(doc.split("\n\n")[0].split())
    return rest_to_markdown(head)


def modules_block() -> list[str]:
    """Every module of the runtime packages and of benchmarks/evaluation with its docstring's first paragraph."""
    out = ["| module | what |", "| --- | --- |"]
    for name in RUNTIME + ("benchmarks/evaluation",):
        for path in sorted((REPO / name).rglob("*.py")):
            if path.name == "__init__.py" and path.stat().st_size < 200 or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(REPO).as_posix()
            out.append(f"| [`{rel}`](../{rel}) | {cell(first_line(path))} |")
    return out


def _evaluation_order(node):
    """Nodes in the order Python evaluates them: ``f(g(x))`` yields ``g(x)`` before ``f(...)``."""
    for child in ast.iter_child_nodes(node):
        yield from _evaluation_order(child)
    yield node


def stages_block() -> list[str]:
    """The stage calls of :func:`jobs.pipeline.hour.run_hour_core`, in order, with their docstrings."""
    from jobs.pipeline import stages

    source = (REPO / "jobs" / "pipeline" / "hour.py").read_text(encoding="utf-8")
    core = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "run_hour_core")
    calls = [n for n in _evaluation_order(core) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    names = list(dict.fromkeys(n.func.id for n in calls if callable(getattr(stages, n.func.id, None))))
    out = ["| # | stage call | what it does, and which module does it |", "| --- | --- | --- |"]
    for i, name in enumerate(names, 1):
        doc = " ".join((inspect.getdoc(getattr(stages, name)) or "").split())
        out.append(f"| {i} | `{name}` | {cell(rest_to_markdown(doc))} |")
    return out


def layers_block() -> list[str]:
    """The package layers ``tests/test_layers.py`` holds (its ``LAYERS``, read, not imported)."""
    tree = ast.parse((REPO / "tests" / "test_layers.py").read_text(encoding="utf-8"))
    assign = next(n for n in tree.body if isinstance(n, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "LAYERS" for t in n.targets))
    layers = ast.literal_eval(assign.value)
    out = ["| layer | packages | may import |", "| --- | --- | --- |"]
    for i, layer in enumerate(layers):
        below = ", ".join(f"`{p}`" for lower in layers[:i] for p in lower) or "(none of these)"
        out.append(f"| {i} | {', '.join(f'`{p}/`' for p in layer)} | {below} |")
    return out


def render_block(name: str) -> str | None:
    """The text of block ``name``, or None when no such block exists."""
    from issues.contracts import json_schemas

    schemas = json_schemas()
    if name in schemas:
        body = contract_block(name, schemas[name])
    elif name in BLOCKS:
        body = "\n".join(BLOCKS[name]())
    else:
        return None
    return f"<!-- generated: {name} -->\n{body}\n<!-- end generated -->"


BLOCKS = {"layout": layout_block, "modules": modules_block, "layers": layers_block, "stages": stages_block}


def render_blocks(current: str) -> str:
    """``current`` with every known block rewritten (unknown ones are left alone)."""
    return BLOCK.sub(lambda m: render_block(m[1]) or m[0], current)


def unknown_blocks(current: str) -> list[str]:
    return sorted(name for name in set(BLOCK.findall(current)) if render_block(name) is None)


def missing_contracts(current: str) -> list[str]:
    from issues.contracts import json_schemas

    return [name for name in json_schemas() if f"<!-- generated: {name} -->" not in current]
