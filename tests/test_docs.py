"""What the README and the docs show is what srcgrad prints."""

import pathlib
import re

from test_examples import _load

ROOT = pathlib.Path(__file__).parent.parent


def _python_blocks(path):
    return re.findall(r"```python\n(.*?)```", (ROOT / path).read_text(), flags=re.S)


def test_readme_and_getting_started_show_the_generated_xor_code():
    xor = _load("xor")
    xor.loss(*xor.loss_example())  # the pages show the code for the shapes of a call
    source = xor.loss.source
    for path in ("README.md", "docs/getting-started.md"):
        assert source in _python_blocks(path), f"{path} shows stale generated code"


def test_readme_set_up_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"```sh\n(.*?)\n```", readme, flags=re.S)
    assert commands[0].endswith("examples/xor.py")
    assert commands[1].endswith(".venv/bin/python -m pytest -n auto")
    assert ".venv/bin/python -m pytest -n auto" in ci and "'.[test]'" in ci


def test_cupy_is_installed_by_ci_not_by_the_test_extra():
    """The cupy wheel (274 MB) is not in `[test]`; .ci/run installs it into the main leg's venv,
    the `cupy` extra's requirement limited to the platform it has wheels for, and tells that leg's
    tests so, so that the CuPy namespace checks fail there rather than skip."""
    pyproject = (ROOT / "pyproject.toml").read_text()  # tomllib is Python 3.11+
    test_extra = re.search(r"^test = \[(.*?)^\]", pyproject, flags=re.S | re.M).group(1)
    assert "cupy" not in test_extra
    cupy_extra = re.search(r'^cupy = \["(.*?)"\]', pyproject, flags=re.M).group(1)
    ci = (ROOT / ".ci" / "run").read_text()
    requirement = re.search(r'^CUPY="(.*)"$', ci, flags=re.M).group(1)
    assert requirement == f"{cupy_extra}; platform_system == 'Linux' and platform_machine == 'x86_64'"
    main_leg = ci[ci.index("# The main leg") : ci.index("# The extra legs")]
    assert """-e '.[test]' && .venv/bin/python "${PIP_INSTALL[@]}" "$CUPY"; then""" in main_leg
    assert "run_pytest env SRCGRAD_REQUIRE_CUPY=1 .venv/bin/python -m pytest -n auto" in main_leg
    assert ci.count('"$CUPY"') == 1  # only the main leg installs it


def _section(path, title_start):
    text = (ROOT / path).read_text()
    start = text.index(f"\n## {title_start}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def test_how_it_works_explains_each_runtime_helper_generated_code_calls():
    """Each helper of srcgrad/runtime the golden listings call (and check_finite, which the code
    of `grad(..., check_finite=True)` calls) has an entry in docs/how-it-works.md section 11 that
    opens with the first line of its docstring, so the page and the helper say the same."""
    import inspect

    from srcgrad import runtime

    listings = "".join(p.read_text() for p in (ROOT / "tests" / "golden").rglob("*.txt"))
    called = {n for n in runtime.__all__ if re.search(rf"\b{n}\(", listings)} | {"check_finite"}
    assert {"unbroadcast", "matmul_dy", "tie_share", "unreduce"} <= called, sorted(called)
    section = " ".join(_section("docs/how-it-works.md", "11. ").split())
    for helper in sorted(called):
        summary = inspect.getdoc(getattr(runtime, helper)).splitlines()[0]
        assert f"`{helper}(" in section, f"docs/how-it-works.md section 11 does not explain {helper}"
        assert summary in section, f"{helper}'s docstring opens with {summary!r}, not what the page says"


def test_readme_show_example_prints_the_readmes_generated_code(capsys, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/srcgrad show examples/xor.py:loss --example" in readme
    from srcgrad.cli import main

    monkeypatch.chdir(ROOT)
    main(["show", "examples/xor.py:loss", "--example", "--color", "never"])
    shown = capsys.readouterr().out
    [listing] = [b for b in _python_blocks("README.md") if b.startswith("def loss_grad(")]
    assert listing in shown


def test_rules_doc_is_current():
    from srcgrad.rules.doc import render

    assert (ROOT / "docs" / "rules.md").read_text() == render(), (
        "docs/rules.md is stale: run python -m srcgrad.rules.doc > docs/rules.md"
    )


def test_readme_counts_the_functions_the_rule_table_lists():
    """The README's count of the functions srcgrad knows is docs/rules.md's (which
    test_rules_doc_is_current keeps current)."""
    table = (ROOT / "docs" / "rules.md").read_text()
    named = {
        n
        for line in table.splitlines()
        if line.startswith("| `")
        for n in re.findall(r"`([^`]+)`", line.split("|")[1])
    }
    quiet = next(line for line in table.splitlines() if line.startswith("Comparisons, and:"))
    without = len(re.findall(r"`([^`]+)`", quiet))
    readme = " ".join((ROOT / "README.md").read_text().split())
    total, derivative = len(named) + without, len(named)
    expected = f"the {total} NumPy, SciPy and Python functions srcgrad knows ({derivative} with a derivative"
    assert expected in readme and f"{without} without)" in readme


def test_api_doc_is_current():
    from srcgrad.apidoc import render

    assert (ROOT / "docs" / "api.md").read_text() == render(), (
        "docs/api.md is stale: run python -m srcgrad.apidoc > docs/api.md"
    )


def test_api_doc_names_every_public_name():
    import srcgrad

    page = (ROOT / "docs" / "api.md").read_text()
    missing = [name for name in srcgrad.__all__ if f"`srcgrad.{name}" not in page]
    assert not missing, f"docs/api.md does not document {missing}"


def test_readme_runs_the_command_line_from_the_venv():
    """The set-up commands install `srcgrad` in .venv/bin, which is not on PATH: the README's
    command lines say where it is."""
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"(\S*)srcgrad (?:show|check|export) ", readme)
    assert commands and all(prefix.endswith(".venv/bin/") for prefix in commands), commands
