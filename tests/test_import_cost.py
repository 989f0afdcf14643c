"""What keeps a program's first gradient cheap, and that each shortcut gives what the long way did.

The first call of a gradient imports the pipeline, loads the rule table, reads the user's source
and the source of each rule it uses, then generates code. These tests pin the parts of that
which are lazy (the pipeline and the table are not imported by `import srcgrad`; a rule's
signature and body are made at its first use) and check the faster helpers against what they
replace: `frontend.read_source` against `inspect.getsourcelines`, `syntax.copy_tree` against
`copy.deepcopy`, `syntax.walk` and `syntax.names_in` against `gast.walk`, `syntax.to_source` against
`ast.unparse`, the IR records against dataclasses.
"""

import ast
import copy
import dataclasses
import importlib.util
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import gast
import numpy as np
import pytest

import srcgrad
from srcgrad import ir, syntax
from srcgrad.frontend import read_source

ROOT = Path(__file__).resolve().parent.parent

# Functions of every shape whose end a tokenizer would find differently from a look at the
# indentation, each with the fast path expected (True) or inspect's tokenizer (False).
SHAPES = '''
import functools


def plain(x):
    y = x * 2  # a comment
    return y
    # a trailing comment, kept
  # less indented: kept only because a kept one follows
    # kept
# at the margin: dropped


def one_line(x): return x + 1
    # not kept after a one-line def


def wrapper(f):
    @functools.wraps(f)
    def wrapped(*args):
        return f(*args)

    return wrapped


def outer():
    def inner(x):
        return x

    return inner


@wrapper
def decorated(
    x,
    y=1,
) -> float:
    return x + y


def bracket_at_margin(x, y=(1,
2)):
    return x


class Holder:
    @staticmethod
    def method(x):
        return x

    # between methods


def string_at_margin(x):
    text = """
a line at the margin, inside a string
"""
    return x


def continued(x):
    total = (x +
1)
    return total


def backslash(x): \\
    return x


async def coroutine(x):
    return x
'''

FAST = {
    "plain": True,
    "one_line": True,
    "wrapper": True,
    "outer": True,
    "inner": True,
    "decorated": True,
    "bracket_at_margin": False,
    "method": True,
    "string_at_margin": False,
    "continued": False,
    "backslash": False,
    "coroutine": True,
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    path = tmp_path_factory.mktemp("shapes") / "shapes_module.py"
    path.write_text(SHAPES)
    spec = importlib.util.spec_from_file_location("shapes_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    functions = {name: getattr(module, name) for name in FAST if hasattr(module, name)}
    functions["inner"] = module.outer()
    functions["method"] = module.Holder.method
    return functions


@pytest.mark.parametrize("name", sorted(FAST))
def test_read_source_gives_inspects_lines(shapes, name):
    func = shapes[name]
    lines, first_line, parsed = read_source(func)
    assert (lines, first_line) == inspect.getsourcelines(func)
    assert (parsed is not None) == FAST[name]  # without the tokenizer wherever the parser can tell
    if parsed is not None:
        expected = ast.parse(textwrap.dedent("".join(lines)))
        assert ast.dump(parsed, include_attributes=True) == ast.dump(expected, include_attributes=True)


def test_read_source_agrees_with_inspect_across_srcgrad():
    """Every function and method of srcgrad's own modules: the same lines as inspect."""
    checked = 0
    for path in sorted((ROOT / "srcgrad").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        classes = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == name]
        for value in [*vars(module).values(), *(m for c in classes for m in vars(c).values())]:
            value = getattr(value, "__func__", value)
            if (
                inspect.isfunction(value)
                and value.__module__ == name
                and value.__code__.co_filename == str(path)
            ):
                assert read_source(value)[:2] == inspect.getsourcelines(value), value.__qualname__
                checked += 1
    assert checked > 500


def test_a_first_gradient_needs_no_tokenizer(monkeypatch, tmp_path):
    path = tmp_path / "loss_module.py"
    path.write_text("import numpy as np\n\n\ndef loss(w):\n    return np.sum(np.tanh(w) ** 2)\n")
    spec = importlib.util.spec_from_file_location("loss_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def tokenizing(lines):
        raise AssertionError("inspect's tokenizer was asked where a block ends")

    monkeypatch.setattr(inspect, "getblock", tokenizing)
    w = np.linspace(-1.0, 1.0, 5)
    expected = 2 * np.tanh(w) * (1 - np.tanh(w) ** 2)
    value, gradient = srcgrad.grad(module.loss)(w)
    np.testing.assert_allclose(gradient, expected)


LAZY = """
import sys

import numpy as np

import srcgrad

pipeline = ["srcgrad.pipeline", "srcgrad.codegen", "srcgrad.transformations.reverse", "srcgrad.rules.numpy"]
assert not [m for m in pipeline if m in sys.modules], "imported by `import srcgrad`"

from srcgrad import rules


def loss(x):
    return np.sum(np.exp(x))


srcgrad.grad(loss)(np.ones(3))
assert all(m in sys.modules for m in pipeline)
table = {id(rule): rule for rule in rules.ADJOINTS.values()}.values()
parsed = {rule.name for rule in table if rule._body is not None}
assert {"exp", "sum"} <= parsed and len(parsed) < 10 < len(table), parsed  # those used, not all
unused = [rule for rule in table if rule._body is None]
assert unused and not [rule.name for rule in unused if "params" in vars(rule)]
print("ok")
"""


def _runs_ok(tmp_path, name, text):
    """Run `text` as a script in a fresh Python: it exits 0 and prints "ok"."""
    script = tmp_path / f"{name}.py"
    script.write_text(text)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_the_pipeline_and_each_rule_load_at_first_use(tmp_path):
    _runs_ok(tmp_path, "lazy", LAZY)


TESTING = """
import sys

import srcgrad

loaded = [m for m in ("srcgrad.testing", "hypothesis") if m in sys.modules]
assert not loaded, f"imported by `import srcgrad`: {loaded}"


def square(x):
    return x * x


value, gradient = srcgrad.testing.check_grads(square, 3.0)
assert (value, gradient) == (9.0, 6.0), (value, gradient)
assert "srcgrad.testing" in sys.modules and "hypothesis" not in sys.modules
print("ok")
"""


def test_srcgrad_testing_is_there_after_import_srcgrad_without_hypothesis(tmp_path):
    _runs_ok(tmp_path, "testing_attribute", TESTING)
    with pytest.raises(AttributeError, match="no attribute 'tsting'"):
        srcgrad.tsting  # noqa: B018 - a misspelt name still fails as it would without the hook


def _trees():
    """Statements and expressions of a few of srcgrad's modules, as gast."""
    for module in ("syntax", "frontend", "rules/numpy/elementwise"):
        tree = gast.parse((ROOT / "srcgrad" / f"{module}.py").read_text())
        yield from (n for n in gast.walk(tree) if isinstance(n, (gast.stmt, gast.expr)))


def _dump(node):
    return gast.dump(node, include_attributes=True)


def test_copy_tree_is_deepcopy():
    for node in _trees():
        copied = syntax.copy_tree(node)
        assert copied is not node and _dump(copied) == _dump(node)
    shared = gast.Name(id="x", ctx=gast.Load(), annotation=None, type_comment=None)
    pair = gast.Tuple(elts=[shared, shared], ctx=gast.Load())
    pair.srcgrad_mark = (1, "kept")  # attributes of srcgrad's own survive, as with deepcopy
    copied = syntax.copy_tree(pair)
    assert copied.elts[0] is copied.elts[1] is not shared  # shared once, as deepcopy shares
    assert copied.srcgrad_mark == (1, "kept")


def _substitute_by_transformer(node, mapping):
    class Sub(gast.NodeTransformer):
        def visit_Name(self, n):
            if isinstance(n.ctx, gast.Load) and n.id in mapping:
                return copy.deepcopy(mapping[n.id])
            return n

    return Sub().visit(copy.deepcopy(node))


def test_names_in_and_substitute_as_the_walkers_they_replace():
    replacement = gast.parse("np.exp(a) + b", mode="eval").body
    for node in _trees():
        assert list(map(id, syntax.walk(node))) == list(map(id, gast.walk(node)))
        assert syntax.to_source(node) == syntax.unparse(gast.gast_to_ast(node))  # names: no round trip
        walked = [
            n.id for n in gast.walk(node) if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Store)
        ]
        assert list(syntax.names_in(node)) == walked
        mapping = {name: replacement for name in walked[:2]}
        assert _dump(syntax.substitute(node, mapping)) == _dump(_substitute_by_transformer(node, mapping))


def test_ir_records_behave_as_the_dataclasses_they_were():
    x = syntax.name("x")
    reference = dataclasses.make_dataclass(
        "Op",
        [
            "key",
            ("args", list, dataclasses.field(default_factory=list)),
            ("kwargs", dict, dataclasses.field(default_factory=dict)),
            ("label", str, ""),
            ("pure", bool, True),
            ("node", object, None),
            ("source", object, None),
        ],
    )
    op, same = ir.Op("copy", [x], label="copy"), reference("copy", [x], label="copy")
    assert repr(op) == repr(same) and ir.Op.__match_args__ == reference.__match_args__
    assert op == ir.Op("copy", [x], label="copy") and op != ir.Op("copy", [x])
    assert op.__eq__(same) is NotImplemented  # another class is never equal
    with pytest.raises(TypeError):
        hash(op)
    assert ir.Op("a").args is not ir.Op("a").args  # a fresh list each, as default_factory gave
    program_fields = list(inspect.signature(ir.Program).parameters)
    assert program_fields == list(ir.Program.__match_args__)
    for record in (ir.Op, ir.Assign, ir.Effect, ir.If, ir.For, ir.Return):
        assert list(inspect.signature(record).parameters) == list(record.__match_args__)
