"""The one Namer: fresh, readable names that never collide with the user's.

Temporaries are `v1, v2, ...`, a reassigned variable `x_1, x_2, ...`, adjoints `x_bar`
and tangents `x_dot` (composing as `x_bar_dot`). A name already taken gets the first
free `_1, _2, ...` suffix. Names depend only on the tree, so output is deterministic.
"""

import re

_TEMPORARY = re.compile(r"v\d+(_bar|_dot)*")


def is_temporary(name, user_names):
    """Whether `name` is one of the trace's temporaries or their derivatives (`v3`,
    `v3_bar`), not a name the user wrote."""
    return _TEMPORARY.fullmatch(name) is not None and name not in user_names


def helper_name(bindings, names, helper):
    """The name generated code reaches `helper` by: the one `bindings` gives it already,
    else its own name, or the first free variant of it, claimed from `names` and bound."""
    found = next((name for name, value in bindings.items() if value is helper), None)
    if found is None:
        found = names.claim(helper.__name__)
        bindings[found] = helper
    return found


class Namer:
    def __init__(self, taken=()):
        self.taken = set(taken)
        self._temporaries = 0
        # name -> the k of the last name `claim` gave for it: those before are taken (a
        # name is never given back), and the search for the next starts there, so that
        # claiming one name n times takes n steps, not n^2.
        self._claimed = {}
        self._versions = {}  # name -> the k of the last version, likewise

    def claim(self, name):
        """`name` itself if free, else the first free `name_k`; the result becomes taken."""
        k = self._claimed.get(name, 0)
        candidate = f"{name}_{k}" if k else name
        while candidate in self.taken:
            k += 1
            candidate = f"{name}_{k}"
        self._claimed[name] = k
        self.taken.add(candidate)
        return candidate

    def temporary(self):
        while True:
            self._temporaries += 1
            name = f"v{self._temporaries}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def version(self, name):
        """A new name for a reassigned variable: `x_1`, `x_2`, ..."""
        k = self._versions.get(name, 1)
        while f"{name}_{k}" in self.taken:
            k += 1
        self._versions[name] = k
        return self.claim(f"{name}_{k}")


class Derived:
    """Adjoint or tangent names, `<name><suffix>`, fixed once chosen."""

    def __init__(self, namer, suffix):
        self.namer = namer
        self.suffix = suffix
        self._names = {}

    def __call__(self, name):
        if name not in self._names:
            self._names[name] = self.namer.claim(name + self.suffix)
        return self._names[name]

    def chosen(self):
        """`{name: derived name}` for those chosen so far."""
        return dict(self._names)
