"""``docs/cli.md``: every command and option of the real parser (:func:`jobs.cli.main.build_parser`)
with its help and default, and the exit-code table.

    >>> "issuewire run" in render_cli() and "## Exit codes" in render_cli()
    True

The exit codes are ``jobs.errors.EXIT_CODES`` when that table exists, else the codes
:mod:`jobs.cli.main`'s docstring documents. A command module with an exit-code paragraph of its
own (``Exit codes ...`` in its docstring) gets that paragraph under its section.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import re
from typing import Callable

from reference_markdown import GENERATED, cell, relative, rest_to_markdown, toml_value
from reference_settings import default_of

def exit_code_rows() -> list[tuple[str, str, str]]:
    """(code, name, meaning) of the one exit-code table: ``jobs.errors.EXIT_CODES`` when it exists,
    else the codes :mod:`jobs.cli.main`'s docstring documents."""
    try:
        errors = importlib.import_module("jobs.errors")
        return [(str(int(row.code)), row.name, row.meaning) for row in errors.EXIT_CODES]
    except (ImportError, AttributeError):
        pass
    doc = " ".join(importlib.import_module("jobs.cli.main").__doc__.split())
    text = doc.split("Exit codes:", 1)[1].split(". ", 1)[0].strip().rstrip(".")
    rows = []
    for part in re.split(r",\s+(?=\d+\s)", text):
        code, meaning = part.split(" ", 1)
        rows.append((code, "", meaning))
    return rows


def _option_default(action: argparse.Action, settings_defaults: dict) -> str:
    if action.required:
        return "required"
    if action.dest in settings_defaults and action.default is None:
        return f"setting `{action.dest}`: `{toml_value(settings_defaults[action.dest])}`"
    if action.default in (None, argparse.SUPPRESS, False, []) or isinstance(action, argparse._StoreTrueAction):
        return ""
    return f"`{action.default}`"


def _option_name(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    if action.nargs == 0:
        return ", ".join(f"`{o}`" for o in action.option_strings)
    metavar = action.metavar or action.dest.upper()
    if action.choices:
        metavar = "{" + ",".join(map(str, action.choices)) + "}"
    metavar += " ..." if action.nargs in ("+", "*") else ""
    return ", ".join(f"`{o} {metavar}`" for o in action.option_strings)


def _command_notes(func: Callable | None) -> list[str]:
    """The 'Exit codes' paragraph of a command module's docstring when it is not the main module's."""
    module = inspect.getmodule(func) if func else None
    if module is None or module.__name__ == "jobs.cli.main" or not module.__doc__:
        return []
    return [rest_to_markdown(" ".join(p.split())) for p in module.__doc__.split("\n\n") if "Exit codes" in p]


def _render_parser(name: str, parser: argparse.ArgumentParser, help_text: str, level: int,
                   settings_defaults: dict) -> list[str]:
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=100)
    out = [f"{'#' * level} `{name}`", ""]
    about = parser.description or help_text
    if about:
        out += [cell(about[0].upper() + about[1:]).rstrip(".") + ".", ""]
    out += ["```", parser.format_usage().strip(), "```", ""]
    func = parser.get_default("func")
    resolves = parser.get_default("resolves_settings")   # True, the dests that are settings, or None
    if resolves is not True:
        settings_defaults = {k: v for k, v in settings_defaults.items() if k in (resolves or ())}
    options = [a for a in parser._actions if a.help != argparse.SUPPRESS     # hidden deprecated spellings
               and not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]
    if options:
        out += ["| option | default | what |", "| --- | --- | --- |"]
        out += [f"| {_option_name(a)} | {_option_default(a, settings_defaults)} | {cell(a.help or '')} |"
                for a in options]
        out.append("")
    out += [note + "\n" for note in _command_notes(func)]
    for sub in (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)):
        helps = {c.dest: c.help or "" for c in sub._choices_actions}
        for sub_name, sub_parser in sub.choices.items():
            out += _render_parser(f"{name} {sub_name}", sub_parser, helps.get(sub_name, ""), level + 1,
                                  settings_defaults)
    return out


def render_cli() -> str:
    from jobs.cli.main import build_parser
    from jobs.settings import Settings

    parser = build_parser()
    settings_defaults = {f.name: relative(default_of(f)) for f in dataclasses.fields(Settings)}
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    out = [GENERATED, "", "# Command line", "",
           f"`issuewire <command> [options]` (also `python -m jobs.cli`). {cell(parser.description or '')}",
           "Every command takes `-h`/`--help`. An option whose default is *setting `name`* takes it from "
           "the settings ([configuration.md](configuration.md)): flags > environment > config file > defaults.",
           "", "| command | what |", "| --- | --- |"]
    out += [f"| [`{n}`](#issuewire-{n.replace(' ', '-')}) | {cell(helps.get(n, ''))} |" for n in sub.choices]
    out += ["", "## Exit codes", "",
            "Errors are one line on stderr naming the file and line or the option (secrets redacted).", "",
            "| code | name | meaning |", "| --- | --- | --- |"]
    out += [f"| {code} | {name} | {cell(meaning)} |" for code, name, meaning in exit_code_rows()]
    out += ["", "## Commands", ""]
    for name, sub_parser in sub.choices.items():
        out += _render_parser(f"issuewire {name}", sub_parser, helps.get(name, ""), 3, settings_defaults)
    top = [a for a in parser._actions if a.help != argparse.SUPPRESS
           and not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]
    if top:
        out += ["## Options before the command", "", "| option | default | what |", "| --- | --- | --- |"]
        out += [f"| {_option_name(a)} | {_option_default(a, {})} | {cell(a.help or '')} |" for a in top]
    return "\n".join(out).rstrip() + "\n"
