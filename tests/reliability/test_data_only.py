"""Files are data only: nothing in a file is ever executed.

The package is read as source (its syntax tree, so comments and strings do not count) for
anything that can run code from data: eval, exec, compile, __import__, pickle, marshal,
shelve, yaml.load, numpy.load with allow_pickle. Tests may use exec; the package may not.
Then lesson files carrying code in every string they hold are loaded: each is refused
or read as plain text, and the code never runs.

That a csv path in a lesson cannot read outside the lesson's folder (``../``, absolute
paths, symbolic links leading out) is tested in tests/fileformat/test_fileformat_csv.py;
:func:`test_the_csv_escape_tests_are_still_there` only makes sure those tests stay.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from bpsim.fileformat import LessonFileError, load_lesson
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "bpsim"
FORBIDDEN_MODULES = {
    "pickle",
    "cPickle",
    "_pickle",
    "marshal",
    "shelve",
    "dill",
    "cloudpickle",
    "joblib",
}
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__"}
UNSAFE_YAML = {"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load"}


def problems_in(source: str, name: str) -> list[str]:
    """Every use of a code-running loader in ``source``, as 'file:line: what'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{where}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".")[0]
            if module in FORBIDDEN_MODULES:
                found.append(f"{where}: from {node.module} import …")
            if module == "builtins" and any(a.name in FORBIDDEN_BUILTINS for a in node.names):
                found.append(f"{where}: from builtins import eval/exec")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
                found.append(f"{where}: {func.id}(…)")
            elif isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else ""
                if owner == "yaml" and func.attr in UNSAFE_YAML:
                    found.append(f"{where}: yaml.{func.attr}(…)")
                if owner == "builtins" and func.attr in FORBIDDEN_BUILTINS:
                    found.append(f"{where}: builtins.{func.attr}(…)")
                if func.attr == "load" and owner in ("np", "numpy"):
                    for keyword in node.keywords:
                        if keyword.arg == "allow_pickle" and not (
                            isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                        ):
                            found.append(f"{where}: numpy.load(allow_pickle=…)")
            if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
                target = node.args[1]
                if isinstance(target, ast.Constant) and target.value in FORBIDDEN_BUILTINS:
                    found.append(f"{where}: getattr(…, {target.value!r})")
    return found


def test_the_checker_finds_what_it_looks_for() -> None:
    bad = (
        "import pickle\nfrom marshal import loads\nimport yaml\n"
        "eval('1')\nexec('x = 1')\nyaml.load(s)\nnp.load(f, allow_pickle=True)\n"
        "getattr(builtins, 'eval')('1')\nimport builtins\nbuiltins.exec('1')\n"
    )
    found = problems_in(bad, "bad.py")
    assert len(found) == 8, found
    fine = "app.exec()\nre.compile('a')\nyaml.safe_load(s)\nnp.load(f)\nloop.exec()\n"
    assert problems_in(fine, "fine.py") == []


#: The one allowed use: the tiny networks' straight-line scalar path compiles code it
#: builds from the network's sizes and fixed tables, never from a lesson's text
#: (tests/core/test_scalar_path.py::test_no_lesson_text_reaches_the_generated_code).
ALLOWED = {"bpsim/core/scalar.py": ["exec(…)"]}


def test_the_package_never_runs_code_from_data() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 20
    found: list[str] = []
    for path in sources:
        name = str(path.relative_to(REPO))
        problems = problems_in(path.read_text(encoding="utf-8"), name)
        allowed = ALLOWED.get(name, [])
        if allowed:  # exactly the allowed calls, no more
            assert [p.split(": ", 1)[1] for p in problems] == allowed, problems
            continue
        found += problems
    assert found == []


PAYLOADS = (
    "__import__('pathlib').Path({marker!r}).touch()",
    "!!python/object/apply:os.system ['touch {marker}']",
    "{{{{ ''.__class__ }}}}",
    "${{touch {marker}}}",
)


def _strings_replaced(value: object, text: str) -> object:
    if isinstance(value, str):
        return text
    if isinstance(value, list):
        return [_strings_replaced(v, text) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "format" else _strings_replaced(v, text) for k, v in value.items()}
    return value


@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_in_a_lesson_file_never_runs(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "ran"
    text = payload.format(marker=str(marker))
    example = find_example("worked-example")
    assert example is not None
    document = json.loads(example.path.read_text(encoding="utf-8"))
    variants = [_strings_replaced(document, text)]
    for key, value in document.items():  # one string field at a time, too
        if key != "format":
            variants.append({**document, key: _strings_replaced(value, text)})
    variants.append({**document, "dataset": {"builtin": text}})
    variants.append({**document, "dataset": {"csv": text, "inputs": ["a"], "targets": ["b"]}})
    variants.append({**document, "optimizer": {"name": text, "learning_rate": 0.1}})
    for n, variant in enumerate(variants):
        path = tmp_path / f"v{n}.bpsim"
        path.write_text(json.dumps(variant), encoding="utf-8")
        try:
            trainer_from_lesson_file(path)
        except LessonFileError as error:
            assert str(path) in str(error)  # refused with one message naming the file
        assert not marker.exists(), f"variant {n} ran code"


def test_a_name_holding_code_is_kept_as_text(tmp_path: Path) -> None:
    example = find_example("worked-example")
    assert example is not None
    document = json.loads(example.path.read_text(encoding="utf-8"))
    document["name"] = "__import__('os').system('echo pwned')"
    path = tmp_path / "named.bpsim"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load_lesson(path).name == document["name"]


def test_the_csv_escape_tests_are_still_there() -> None:
    """Referenced, not repeated: the tests that keep a data path inside the lesson's folder."""
    tree = ast.parse((REPO / "tests/fileformat/test_fileformat_csv.py").read_text("utf-8"))
    names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert {
        "test_paths_leading_out_are_refused",
        "test_absolute_paths_are_refused",
        "test_symlink_out_of_the_folder_is_refused",
        "test_save_where_the_csv_is_outside_writes_rows_inline",
    } <= names
