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


def test_rules_doc_is_current():
    from srcgrad.rules.doc import render

    assert (ROOT / "docs" / "rules.md").read_text() == render(), (
        "docs/rules.md is stale: run python -m srcgrad.rules.doc > docs/rules.md"
    )


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
