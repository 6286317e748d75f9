"""Writes into arrays, and the views that would see them.

The trace never changes a value: `a[i] = v` becomes the new version
`a_1 = with_item(a, i, v)`, a copy, so that the values the derivative reads of `a`
stay as they were; and `t += v` becomes `t_1 = t + v`. Python writes in place instead,
and a view of the array (`row = a[0]`, `b = a`, `a.T`, an array appended to a list)
sees the write. The two agree unless such a view, made before a write, is read after
it. `Views` follows, as the lowering emits the trace, which variables each value may
share memory with, which values a write left stale, and refuses a read of a stale one
(in array code: in code on numbers `+=` changes no value in place). A write goes only
into an array the function made itself (`np.zeros(n)`, `x.copy()`, arithmetic), never
into an argument or a view of one.
"""

import functools

import gast

from ast_ad.ir import annotations as anno

# Functions whose result never shares memory with their arguments (besides NumPy's
# ufuncs, `math` and arithmetic). Any other call may return a view of an argument.
_NEW_MEMORY_NUMPY = (
    "array", "copy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
    "empty_like", "full_like", "arange", "linspace", "eye", "identity", "concatenate",
    "stack", "hstack", "vstack", "dstack", "column_stack", "sum", "mean", "prod", "std",
    "var", "max", "min", "amax", "amin", "dot", "matmul", "inner", "outer", "vdot",
    "tensordot", "einsum", "cumsum", "cumprod", "diff", "sort", "where", "clip", "tile",
    "repeat", "trace", "allclose", "argmax", "argmin", "count_nonzero", "any", "all")
_NEW_MEMORY_BUILTINS = (float, int, abs, len, round, bool, sum, str)


def makes_new_memory(function):
    """Whether `function`'s result is new memory (or a number), never a view."""
    module = getattr(function, "__module__", None)
    if function in _NEW_MEMORY_BUILTINS or module == "math" or (
            module == "ast_ad.runtime.arrays" and function.__name__ == "with_item"):
        return True
    numpy, known = _numpy_new_memory()
    return numpy is not None and (isinstance(function, numpy.ufunc) or id(function) in known)


@functools.lru_cache(maxsize=None)
def _numpy_new_memory():
    """NumPy, if installed, and the ids of its functions above, found once: the lowering
    asks of every call it emits."""
    try:
        import numpy
    except ImportError:
        return None, frozenset()
    found = [getattr(numpy, name, None) for name in _NEW_MEMORY_NUMPY] + \
        [getattr(numpy.linalg, name, None) for name in ("norm", "det", "inv", "solve",
                                                         "slogdet")]
    return numpy, frozenset(id(f) for f in found if f is not None)


class Views:
    """What the lowering of one function (and the functions inlined into it) knows of
    shared memory, by version: `views` the variables a version may be a view of, `fresh`
    the versions that are new arrays of the function's own, `stale` those a write made
    out of date, and `problems` the reads and writes to refuse if the code is array code.
    A variable is known by its `family`, the lowering and the name its versions are of."""

    def __init__(self):
        self.family, self.views, self.fresh, self.stale = {}, {}, set(), set()
        self.written = set()  # the families item writes go into (`a[i] = v`)
        self.lists = set()  # versions made as lists of values: no item is written into them
        self.read = set()  # versions with views that were read
        self.problems = []  # (node, message)

    def of(self, version):
        return self.family.get(version, version)

    def shared(self, atom):
        """The families a value read as `atom` may share memory with."""
        if not isinstance(atom, gast.Name) or anno.get(atom, "static") is not None:
            return set()
        return {self.of(atom.id)} | self.views.get(atom.id, set())

    def assigned(self, target, value):
        """Note what `target = value`, a trace statement, may share, and if it is new."""
        shared = set()
        if isinstance(value, gast.Name):
            shared = self.shared(value)
        elif isinstance(value, (gast.Subscript, gast.Attribute)):
            shared = self.shared(value.value)
        elif isinstance(value, gast.Call):
            function = anno.get(value, "callee")
            if isinstance(value.func, gast.Attribute) and anno.get(value.func, "static") is None:
                shared = set() if value.func.attr == "copy" else self.shared(value.func.value)
            elif function is None or not makes_new_memory(function):
                for arg in value.args + [k.value for k in value.keywords]:
                    for item in arg.elts if isinstance(arg, (gast.List, gast.Tuple)) else [arg]:
                        shared |= self.shared(item)
        elif isinstance(value, gast.List):
            self.lists.add(target)
        if shared:
            self.views[target] = self.views.get(target, set()) | shared
        elif isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Call)) and \
                target not in self.views:
            self.fresh.add(target)
        if isinstance(value, gast.BinOp) and gast.List in (type(value.left), type(value.right)):
            self.fresh.add(target)  # `[0.0] * n`: a list of numbers of its own, written into

    def appended(self, items, value):
        """`items.append(value)`: the list holds `value` itself."""
        shared = self.shared(value)
        if shared:
            self.views[items] = self.views.get(items, set()) | shared

    def looped(self, target, sequence):
        """`for target in sequence`: each item may be a view of the sequence."""
        self.views[target] = self.views.get(target, set()) | self.shared(sequence)

    def merged(self, merged, versions):
        """`merged` holds one of `versions`, by the branch taken."""
        versions = [v for v in versions if v is not None]
        shared = set().union(*(self.views.get(v, set()) for v in versions))
        if shared:
            self.views[merged] = shared
        if all(v in self.fresh for v in versions):
            self.fresh.add(merged)
        if any(v in self.stale for v in versions):
            self.stale.add(merged)

    def is_viewed(self, version):
        """Whether a variable (not a temporary, read at once) may be a view of `version`."""
        family = self.of(version)
        return any(family in shared for held, shared in self.views.items()
                   if held in self.family)

    def wrote(self, version):
        """A write into the array `version` holds: the views of it are out of date."""
        family = self.of(version)
        self.stale.update(v for v, shared in self.views.items() if family in shared)

    def reading(self, version, node, name):
        """Refuse, in array code, reading `name` where its value is out of date."""
        if version in self.views:
            self.read.add(version)
        if version in self.stale:
            self.refuse(node, f"`{name}` may be a view of an array written since it was "
                              "made (a row, a slice, `.T` or another name of it): Python "
                              "would read the new values, and ast_ad cannot follow writes "
                              f"into shared memory; make `{name}` a copy where you take it "
                              "(`.copy()`), or read the array again after the write")

    def read_again(self, made_before, loop):
        """Refuse a value made before `loop` and read in its body, where its body writes
        into an array the value may be a view of: the next iteration reads it again, after
        the write."""
        for version in sorted(self.read & self.stale & made_before):
            name = self.family.get(version, (None, version))[1]
            self.refuse(loop, f"this loop reads `{name}`, which may be a view of an array "
                              "the loop writes into: its next iteration would read the new "
                              "values, as Python runs it, which ast_ad cannot follow; take a "
                              "copy before the loop (`.copy()`)")

    def refuse(self, node, message):
        self.problems.append((node, message))

    def write_target(self, version, name, is_parameter, is_free):
        """The reason not to write into `name` (at `version`), or None: only an array the
        function made itself takes writes."""
        if is_parameter:
            return (f"`{name}` is an argument: writing into it would change the caller's "
                    f"array; write into a copy (`{name}_new = {name}.copy()`)")
        if is_free:
            return (f"`{name}` belongs to the enclosing function: a function defined inside "
                    "it may read its arrays, not write into them; return the value instead")
        if version in self.lists:
            return ("writing into a list of values (`ys[i] = v`) is supported in a list of "
                    "numbers made as `[0.0] * n`, and by constant indices into a list display "
                    "read only by them and whole (`ys = [a, b]`, `ys[0] = v`, `sum(ys)`); or "
                    "use a NumPy array (`np.zeros(n)`), or build the list by appending")
        if version not in self.fresh:
            return (f"`{name}` may share memory with another value (a view, another name "
                    "of an array, a value a call returned): Python's write would change "
                    "both, which ast_ad cannot follow; write into a new array of the "
                    f"function's own (`{name} = np.zeros(n)`, `{name} = x.copy()`)")
        return None


def item_written(nodes):
    """The names `a[i] = v` and `a[i] += v` write into, among `nodes`."""
    return {target.value.id for node in nodes
            for target in (node.targets if isinstance(node, gast.Assign) else
                           [node.target] if isinstance(node, gast.AugAssign) else [])
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)}

