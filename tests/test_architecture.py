"""The package's layers (docs/architecture.md): every import of a srcgrad module, at the top of
a module or inside a function, points to a module of the same layer or one below, and no two
modules import each other, directly or through others. Modules stay under MAX_LINES."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "srcgrad"
MAX_LINES = 800

# Bottom to top; a module belongs to the first layer with a prefix that names it or its package.
LAYERS = [
    ("foundations", ["errors", "markers", "naming", "syntax", "backends"]),
    ("front end", ["frontend", "local_dicts", "aliasing", "fence", "ir"]),
    ("runtime", ["runtime"]),
    ("rules", ["rules", "extend"]),
    ("analyses", ["analyses"]),
    ("transformations", ["transformations", "optimizations"]),
    ("back end", ["codegen", "pipeline", "compile", "cache", "generated", "entry"]),
    ("functions", ["functions"]),
    ("user API", ["api", "__init__", "testing"]),
    ("tools", ["export", "loading", "checking", "cli", "__main__", "fuzz", "apidoc"]),
]


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"srcgrad.{module} is in no layer: add it to LAYERS and docs/architecture.md")


def _imports(module: str, path: pathlib.Path) -> set[str]:
    """The srcgrad modules `module` imports, wherever the import statement is."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if module == "__init__":
        package = []
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name[len("srcgrad.") :] for a in node.names if a.name.startswith("srcgrad.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if not (node.module or "").startswith("srcgrad"):
                    continue
                base = (node.module or "").split(".")[1:]
            else:
                base = package[: len(package) - (node.level - 1)]
                base += node.module.split(".") if node.module else []
            names = [".".join([*base, a.name]) for a in node.names] + [".".join(base)]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_every_module_is_in_a_layer():
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    upward = [t for t in GRAPH[module] if _layer(t) > _layer(module)]
    names = [f"srcgrad.{t} ({LAYERS[_layer(t)][0]})" for t in sorted(upward)]
    assert not upward, f"srcgrad.{module} ({LAYERS[_layer(module)][0]}) imports upward: {', '.join(names)}"


def test_no_import_cycle():
    done, on_path, cycles = set(), [], []

    def visit(module):
        if module in on_path:
            cycles.append(on_path[on_path.index(module) :] + [module])
            return
        if module in done:
            return
        on_path.append(module)
        for target in sorted(GRAPH[module]):
            visit(target)
        on_path.pop()
        done.add(module)

    for module in sorted(GRAPH):
        visit(module)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


def test_modules_stay_short():
    long = {m: len(p.read_text().splitlines()) for m, p in MODULES.items()}
    assert not {m: n for m, n in long.items() if n > MAX_LINES}, "split these by concern"
