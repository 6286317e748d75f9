"""The package's layout, as docs/how-it-works.md maps it: each stage a package that imports
only the stages before it, so that nothing imports back up the pipeline."""

import ast
import pathlib

import ast_ad

# In pipeline order; the public modules at the top level (`api.py`, ...) come last.
STAGES = ["ir", "runtime", "rules", "frontend", "ad", "optimize", "backend"]
ROOT = pathlib.Path(ast_ad.__file__).parent


def _imported_packages(path):
    """The `ast_ad` packages and top-level modules that the module at `path` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] == "ast_ad":
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names
                      if a.name.startswith("ast_ad.")}
    return found


def test_every_module_lies_in_a_stage_or_is_public():
    public = {"__init__", "__main__", "api", "errors", "extend", "testing", "trace", "transforms",
              "pickling", "display"}
    for path in ROOT.rglob("*.py"):
        top = path.relative_to(ROOT).parts[0].removesuffix(".py")
        assert top in STAGES or top in public, f"{path} belongs to no stage of the map"


def test_a_stage_imports_only_the_stages_before_it():
    for stage in STAGES:
        allowed = set(STAGES[:STAGES.index(stage) + 1]) | {"errors"}
        for path in (ROOT / stage).rglob("*.py"):
            wrong = _imported_packages(path) - allowed
            assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}, later stages"


def test_the_map_in_the_docs_lists_every_stage_in_order():
    text = (ROOT.parent / "docs" / "how-it-works.md").read_text()
    places = [text.index(f"| `{stage}/` |") for stage in STAGES]
    assert places == sorted(places)
    for stage in STAGES:
        row = text[text.index(f"| `{stage}/` |"):].split("\n", 1)[0]
        for path in (ROOT / stage).glob("*.py"):
            assert path.name == "__init__.py" and stage != "optimize" or f"`{path.name}`" in row, \
                f"the map's row for {stage}/ does not name {path.name}"
