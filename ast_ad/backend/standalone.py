"""A derivative as a module of its own, that runs where ast_ad is not installed.

The module holds the generated function and what it reads: the imports of the standard
library and NumPy it uses, the user's constants written out as literals, and a copy of
the definitions of ast_ad's runtime helpers it calls, and of theirs, and nothing else.
Each name comes from one place: a module it imports, a value, or a definition copied
from the source of the module that holds it.
"""

import ast
import builtins
import dis
import functools
import hashlib
import inspect
import json
import math
import os
import re
import sys
import types

from ast_ad.errors import DifferentiationError

_OURS = "ast_ad"


def module_body(function, text, folder):
    """The text of a module defining `function` (whose generated source is `text`), to be
    saved in `folder`, its header aside: the source files its messages name are named
    relative to that folder."""
    module = _Module(function.__name__)
    module.read_by(function, text)
    text = re.sub(r"'([^'\n]+\.py)'", lambda m: repr(_relative(m.group(1), folder)), text)
    blocks = ["\n".join(module.imports())]
    for definition in module.definitions + [text] + module.after:
        one_line = "\n" not in definition.rstrip("\n")
        if one_line and blocks[-1] and "\n" not in blocks[-1] and " = " in blocks[-1]:
            blocks[-1] += "\n" + definition  # constants, together
        else:
            blocks.append(definition.rstrip("\n"))
    return "\n\n\n".join(block for block in blocks if block) + "\n"


class _Module:
    def __init__(self, name):
        self.name = name  # the derivative's, for messages
        self.bound = {}  # name in the module -> the value it holds
        self.import_lines = set()
        self.definitions = []  # texts, each after those it reads
        self.after = []  # the same, after the function

    def read_by(self, function, text):
        cells = dict(zip(function.__code__.co_freevars,
                         (c.cell_contents for c in function.__closure__ or ())))
        found = {}
        for name in _global_reads(function.__code__) | set(cells):
            value = cells[name] if name in cells else function.__globals__.get(name, _ABSENT)
            if value is not _ABSENT:  # else a builtin
                found[name] = value
        for name in sorted(found, key=lambda n: (_defined_by_us(found[n]), n)):
            if found[name] is function:  # it calls itself, by this name
                self.bound[name] = function
                if name != function.__name__:
                    self.after.append(f"{name} = {function.__name__}")
            else:
                self.define(name, found[name])  # the user's names first

    def define(self, name, value, home=None):
        """Make `name` hold `value` in the module; `home` is the module of ours whose
        definition reads it, if one does."""
        if name in self.bound:
            if self.bound[name] is not value and not _equal(self.bound[name], value):
                raise DifferentiationError(f"a standalone module of {self.name} would give "
                                           f"`{name}` two values; rename one of them")
            return
        self.bound[name] = value
        if getattr(builtins, name, _ABSENT) is value:
            return
        if isinstance(value, types.ModuleType):
            self.import_module(name, value)
        elif _defined_by_us(value):
            self.copy_definition(name, value)
        elif _defined_by_us(type(value)):  # a slot of ours, made empty: its class, called
            self.define(type(value).__name__, type(value))
            self.definitions.append(f"{name} = {type(value).__name__}()")
        elif home is not None and not _importable(value):  # a constant of ours
            self.copy_definition(name, value, home)
        elif _importable(value):
            module, qualname = value.__module__, value.__qualname__
            self.check_allowed(name, module)
            self.import_lines.add(f"from {module} import {qualname}" +
                                  ("" if qualname == name else f" as {name}"))
        else:
            self.definitions.append(f"{name} = {self.literal(name, value)}")

    def import_module(self, name, module):
        self.check_allowed(name, module.__name__)
        full, _, last = module.__name__.rpartition(".")
        if module.__name__ == name:
            self.import_lines.add(f"import {name}")
        elif full and last == name:
            self.import_lines.add(f"from {full} import {name}")
        else:
            self.import_lines.add(f"import {module.__name__} as {name}")

    def check_allowed(self, name, module):
        root = module.partition(".")[0]
        if root not in sys.stdlib_module_names and root not in ("numpy", "numba"):
            raise DifferentiationError(
                f"a standalone module imports only the standard library, NumPy and Numba; "
                f"{self.name} reads `{name}` from {module}")

    def copy_definition(self, name, value, home=None):
        """The statement that defines `name` in the source of `home` (a function's or a
        class's own module), and before it those of the names it reads."""
        own = getattr(value, "__name__", name)
        if own != name:  # bound under another name: copied under its own
            self.define(own, value)
            self.definitions.append(f"{name} = {own}")
            return
        module = home or sys.modules[value.__module__]
        statement, lines = _statement_defining(module, name)
        if isinstance(statement, ast.ImportFrom):  # from ast_ad.errors import ADVICE
            self.copy_definition(name, value, sys.modules[statement.module])
            return
        for read in sorted(_names_read(statement)):
            if read in vars(module):
                self.define(read, vars(module)[read], module)
        self.definitions.append("".join(lines))

    def literal(self, name, value):
        kind = type(value)
        if kind.__module__ == "numpy" and kind.__name__ != "ndarray" and \
                hasattr(value, "dtype") and value.dtype.kind in "biufc":  # (np.float64 is a float)
            self.define("numpy", sys.modules["numpy"])
            return f"numpy.{kind.__name__}({self.literal(name, value.item())})"
        if isinstance(value, type(None) | bool | int | str | bytes | type(Ellipsis)):
            return repr(value)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
        if isinstance(value, complex):
            return f"complex({self.literal(name, value.real)}, {self.literal(name, value.imag)})"
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            items = [self.literal(name, item) for item in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(value, list):
            return f"[{', '.join(self.literal(name, item) for item in value)}]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.literal(name, k)}: {self.literal(name, v)}"
                                   for k, v in value.items()) + "}"
        if isinstance(value, frozenset | set) and value:
            items = sorted(self.literal(name, item) for item in value)
            return f"{type(value).__name__}({{{', '.join(items)}}})"
        if isinstance(value, frozenset | set):
            return f"{type(value).__name__}()"
        if kind.__module__ == "numpy" and kind.__name__ == "ndarray" and \
                value.dtype.kind in "biufc":
            self.define("numpy", sys.modules["numpy"])
            return f"numpy.array({self.literal(name, value.tolist())}, dtype={str(value.dtype)!r})"
        raise DifferentiationError(
            f"a standalone module of {self.name} cannot hold `{name}`, "
            f"{'an' if kind.__qualname__[0] in 'AEIOUaeiou' else 'a'} {kind.__qualname__} it reads: only numbers, strings, arrays and displays of "
            "them are written out; pass it as an argument, or make it a module-level constant")

    def imports(self):
        plain = sorted(line for line in self.import_lines if line.startswith("import "))
        named = sorted(line for line in self.import_lines if line.startswith("from "))
        return plain + named


_ABSENT = object()


def _global_reads(code):
    """The global names `code` and the code nested in it read."""
    found = {i.argval for i in dis.get_instructions(code)
             if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found |= _global_reads(constant)
    return found


def _equal(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _defined_by_us(value):
    module = getattr(value, "__module__", None)
    return isinstance(value, types.FunctionType | type) and isinstance(module, str) and \
        (module == _OURS or module.startswith(_OURS + "."))


def _importable(value):
    """A function or class of a module, found there under its own name."""
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "." in qualname or \
            isinstance(value, int | float | complex | str):
        return False
    return getattr(sys.modules.get(module), qualname, None) is value


@functools.cache
def _module_statements(module):
    source = inspect.getsource(module)
    return ast.parse(source).body, source.splitlines(keepends=True)


def _statement_defining(module, name):
    statements, lines = _module_statements(module)
    for statement in statements:
        if isinstance(statement, ast.FunctionDef | ast.ClassDef) and statement.name == name or \
                isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in statement.targets) or \
                isinstance(statement, ast.ImportFrom) and statement.module and \
                statement.module.startswith(_OURS) and \
                any((a.asname or a.name) == name for a in statement.names):
            first = min([statement.lineno] + [d.lineno for d in
                                              getattr(statement, "decorator_list", [])])
            return statement, lines[first - 1:statement.end_lineno]
    raise DifferentiationError(f"{module.__name__}.{name} has no definition to copy")


def _names_read(statement):
    """The names `statement` reads that it does not bind itself."""
    bound = {a.arg for a in ast.walk(statement) if isinstance(a, ast.arg)} | \
        {n.id for n in ast.walk(statement)
         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(statement, ast.FunctionDef | ast.ClassDef):
        bound.discard(statement.name)
    return {n.id for n in ast.walk(statement)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


# ---------------------------------------------------------------- the header

RECIPE_MARK = "# ast_ad-recipe: "
_KINDS = {"reverse": "Gradient", "forward": "Tangent"}


def header(function, origin, steps, sources, body, version, folder):
    """The module's docstring, and the recipe `--check` reads: the version, the source
    file (relative to `folder`) and function (None for a `functools.partial` or a bound
    method, which no command names), each differentiation's mode, `wrt` and `has_aux`,
    and a hash over the source of the function and of every function inlined, and over
    the module's `body` (the constants it writes out, the helpers it copies)."""
    plain = isinstance(origin, types.FunctionType)
    source = origin.__code__.co_filename if plain else getattr(
        getattr(origin, "__func__", getattr(origin, "func", None)), "__code__", None)
    source = source if isinstance(source, str) else getattr(source, "co_filename", "?")
    name = getattr(origin, "__qualname__", None) or repr(origin)
    recipe = {"version": version, "source": _relative(source, folder),
              "function": name if plain else None,
              "steps": [[step.mode, list(step.wrt) if isinstance(step.wrt, tuple | list)
                         else step.wrt, step.has_aux] for step in steps],
              "hash": source_hash(sources, body)}
    kind = _KINDS.get(steps[-1].mode, "Derivative")
    order = f" (order {len(steps)})" if len(steps) > 1 else ""
    lines = [f'"""{kind}{order} of {name} ({recipe["source"]}), written by '
             f"ast_ad {version}:", "a module that runs without it.", ""]
    command = command_line(recipe, f"{function.__name__}.py")
    if command:
        lines += ["To write it again, and to check that its source has not changed since:", "",
                  f"    {command}", f"    python -m ast_ad --check {function.__name__}.py"]
    else:
        lines += ["No command line writes it again (its differentiations differ in mode or "
                  "wrt, use has_aux, or start from a partial or a bound method)."]
    return "\n".join(lines) + '\n"""\n' + RECIPE_MARK + json.dumps(recipe) + "\n"


def _relative(filename, folder):
    """A source file's name relative to `folder`, in the form every system reads."""
    if not os.path.isabs(filename) or not os.path.isfile(filename):
        return filename
    return os.path.relpath(filename, folder).replace(os.sep, "/")


def command_line(recipe, out):
    """The `python -m ast_ad` command that writes the module `recipe` describes, or None."""
    steps, function = recipe["steps"], recipe["function"]
    if any(step != steps[0] for step in steps) or steps[0][0] == "seeded" or steps[0][2] or \
            function is None or "<" in function or "." in function:
        return None
    mode, wrt, _ = steps[0]
    wrt = ",".join(map(str, wrt)) if isinstance(wrt, list) else str(wrt)
    order = f" --order {len(steps)}" if len(steps) > 1 else ""
    return (f"python -m ast_ad {recipe['source']}:{recipe['function']} --wrt {wrt} "
            f"--mode {mode}{order} --emit {out}")


def source_hash(sources, body):
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(f"{name}\n{sources[name]}\n".encode())
    digest.update(body.encode())
    return "sha256:" + digest.hexdigest()


def read_recipe(text):
    """The recipe in the header of a module ast_ad wrote, or None."""
    for line in text.splitlines():
        if line.startswith(RECIPE_MARK):
            try:
                recipe = json.loads(line[len(RECIPE_MARK):])
            except ValueError:
                return None
            keys = {"version", "source", "function", "steps", "hash"}
            return recipe if isinstance(recipe, dict) and keys <= set(recipe) else None
    return None
