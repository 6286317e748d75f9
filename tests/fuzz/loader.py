"""Programs as real modules: ast_ad reads a function's source with `inspect.getsource`, so
each program is written to a file of its own in a temporary folder and imported under a
name no other program has.
"""

import linecache
import os
import shutil
import sys
import tempfile
import types


class ProgramFiles:
    """A folder of program modules (a new temporary one by default); `close` removes it."""

    def __init__(self, folder=None):
        self.folder = folder or tempfile.mkdtemp(prefix="ast_ad_fuzz_")
        self.sources_before = {}  # module name -> the generated sources known before it

    def load(self, name, source):
        path = os.path.join(self.folder, f"{name}.py")
        with open(path, "w") as file:
            file.write(source)
        linecache.cache.pop(path, None)
        module = types.ModuleType(name)
        module.__file__ = path
        self.sources_before[name] = {k for k in linecache.cache if k.startswith("<ast_ad ")}
        sys.modules[name] = module
        try:
            # Compiled here rather than imported: no bytecode cache to go stale when a
            # reduction writes the same file again within a second.
            exec(compile(source, path, "exec"), module.__dict__)
        except BaseException:
            self.unload(module)
            raise
        return module

    def unload(self, module):
        """Forget a module, its file and the generated sources of its derivatives.

        ast_ad names each generated source `<ast_ad NAME #k>` in linecache, looking for a
        free `k` one by one, so a long run keeps the cache to the program it checks; the
        sources of derivatives made before the program are kept."""
        sys.modules.pop(module.__name__, None)
        path = module.__file__
        linecache.cache.pop(path, None)
        before = self.sources_before.pop(module.__name__, set())
        for key in [k for k in linecache.cache if k.startswith("<ast_ad ") and k not in before]:
            del linecache.cache[key]
        if os.path.exists(path):
            os.remove(path)

    def close(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
