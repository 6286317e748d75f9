"""Generated functions pickle by reference to the function they differentiate.

Pickle writes a function as its module and name, and finds it again by importing the
one and reading the other. A derivative's module is therefore a name of its own,
`ast_ad.pickling.grad_f__<recipe>`, where the recipe (the differentiated function's
module and name, and the options) is written in the name itself. Importing it, in this
process or another, derives the function again, from the cache where it is already
derived: so `pickle`, `multiprocessing` and `concurrent.futures` send a derivative as a
few dozen bytes and each worker transforms it once.

A derivative of a function that cannot be imported (a closure, a bound method, a function
of a notebook) keeps its function's module: `pickle` refuses it, and `cloudpickle` (Dask,
loky) sends it by value, its code and the globals it reads, as it sends the function.
"""

import base64
import importlib
import importlib.abc
import importlib.machinery
import json
import sys

__path__ = []  # a package, so that the derivatives' modules may sit under it

_PREFIX = __name__ + "."


def make_importable(derivative, function, wrt, mode, optimized, has_aux):
    """Give `derivative` a module that derives it again from `function` and the options
    it was derived with (`mode` "seeded" for `adjoint_with_seed`), when `function` can
    be imported."""
    if not _importable(function):
        return
    recipe = json.dumps([function.__module__, function.__qualname__, wrt, mode, optimized,
                         has_aux], separators=(",", ":"))
    token = base64.b32encode(recipe.encode()).decode().rstrip("=").lower()
    derivative.__module__ = f"{_PREFIX}{derivative.__name__}__{token}"


def _importable(function):
    module_name = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not isinstance(module_name, str) or not isinstance(qualname, str) or \
            "<locals>" in qualname:
        return False
    module = sys.modules.get(module_name)
    if module is None and not module_name.startswith(_PREFIX) or \
            module_name == "__main__" and not hasattr(module, "__file__"):
        return False  # a notebook's or the prompt's: no worker can import it
    try:
        if module is None:
            module = importlib.import_module(module_name)
        return _attribute(module, qualname) is function
    except (ImportError, AttributeError):
        return False


def _attribute(value, qualname):
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def _recipe(module_name):
    token = module_name[len(_PREFIX):].rpartition("__")[2]
    text = base64.b32decode(token.upper() + "=" * (-len(token) % 8)).decode()
    return json.loads(text)


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        from ast_ad.api import derive_again

        try:
            origin_module, qualname, *options = _recipe(module.__name__)
        except ValueError:  # also a token that is not base32 or JSON
            raise ImportError(f"{module.__name__} is not a derivative ast_ad named") from None
        try:
            function = _attribute(importlib.import_module(origin_module), qualname)
        except (ImportError, AttributeError) as error:
            raise ImportError(f"ast_ad cannot derive {module.__name__} again: "
                              f"{origin_module}.{qualname} is not importable here "
                              f"({error})") from None
        derivative = derive_again(function, *options)
        setattr(module, derivative.__qualname__, derivative)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith(_PREFIX) or "." in fullname[len(_PREFIX):]:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader())


if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
    sys.meta_path.append(_Finder())
