"""No module uses another module's private (`_underscore`) names.

A leading underscore says "this module's own business": such a helper may change or vanish
without its callers being told. A module that needs one should get a public name for it. The
import contracts (pyproject.toml, `lint-imports`) say which way imports point; this test says
what may cross. It reads every module under src/docket with `ast`, without importing any.
"""

from __future__ import annotations

import ast
from pathlib import Path

import docket

SOURCE = Path(docket.__file__).parent
ROOT = "docket"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _absolute(importer: str, node: ast.ImportFrom) -> str:
    """The module an `import from` names, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = importer if _is_package(importer) else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _may_use(importer: str, module: str, name: str) -> bool:
    """A private name is the business of its own module; a private submodule (`pkg._impl`)
    is its package's, so modules inside that package may import it."""
    if not _is_private(name) or importer == module:
        return True
    return f"{module}.{name}" in MODULES and importer.startswith(f"{module}.")


def _dotted(node: ast.expr) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None for anything but names and attributes."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else [*base, node.attr]
    return None


class _PrivateUses(ast.NodeVisitor):
    """Collects `from docket.x import _name` and `x._name` (x a docket module bound by an
    import) in one module."""

    def __init__(self, importer: str) -> None:
        self.importer = importer
        self.modules: dict[str, str] = {}  # local name -> the docket module it is bound to
        self.found: list[tuple[int, str]] = []

    def _refuse(self, node: ast.AST, module: str, name: str) -> None:
        if not _may_use(self.importer, module, name):
            self.found.append((node.lineno, f"{module}.{name}"))  # type: ignore[attr-defined]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] != ROOT:
                continue
            if alias.asname:
                self.modules[alias.asname] = alias.name
            else:  # `import docket.a.b` binds `docket`; the chain is resolved where used
                self.modules[ROOT] = ROOT

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = _absolute(self.importer, node)
        if module.split(".")[0] != ROOT:
            return
        for alias in node.names:
            self._refuse(node, module, alias.name)
            if f"{module}.{alias.name}" in MODULES:
                self.modules[alias.asname or alias.name] = f"{module}.{alias.name}"

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = _dotted(node.value)
        if chain and chain[0] in self.modules:
            module = self.modules[chain[0]]
            for part in chain[1:]:
                module = f"{module}.{part}"
            if module in MODULES:
                self._refuse(node, module, node.attr)
        self.generic_visit(node)


def private_uses() -> list[str]:
    uses = []
    for importer, path in MODULES.items():
        visitor = _PrivateUses(importer)
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        where = path.relative_to(SOURCE.parent.parent)
        uses += [f"{where}:{line} uses {name}" for line, name in visitor.found]
    return uses


def test_no_module_uses_another_modules_private_names():
    uses = private_uses()
    assert not uses, "give these a public name where they are defined:\n" + "\n".join(uses)


def _uses_in(source: str, importer: str = "docket.issues.sharing") -> list[str]:
    visitor = _PrivateUses(importer)
    visitor.visit(ast.parse(source))
    return [name for _, name in visitor.found]


def test_the_check_sees_each_way_a_private_name_crosses():
    assert _uses_in("from docket.issues.actions import _locked, update_issue") == [
        "docket.issues.actions._locked"
    ]
    assert _uses_in("from .actions import _locked") == ["docket.issues.actions._locked"]
    assert _uses_in("from docket.issues import actions\nactions._record()") == [
        "docket.issues.actions._record"
    ]
    assert _uses_in("import docket.issues.actions as a\na._actor(None)") == [
        "docket.issues.actions._actor"
    ]
    assert _uses_in("import docket.issues.actions\ndocket.issues.actions._write()") == [
        "docket.issues.actions._write"
    ]


def test_the_check_lets_through_what_is_not_crossing():
    assert _uses_in("from docket.issues.actions import update_issue, __doc__") == []
    assert _uses_in("from docket.issues import actions\nactions.update_issue._cache") == []
    assert _uses_in("def _own():\n    pass\n_own()") == []
    assert _uses_in("import json\njson._default_encoder") == []
    # A module's own private names, however it refers to itself.
    assert _uses_in("from docket.issues.sharing import _x", importer="docket.issues.sharing") == []


# --- who is acting is typed ------------------------------------------------------------------

PEOPLE_PARAMETERS = {"actor", "user", "viewer", "me", "who"}


def _untyped_people(path: Path) -> list[str]:
    """Parameters naming who acts or looks, annotated `Any` (or not at all)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = node.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if arg.arg not in PEOPLE_PARAMETERS:
                continue
            annotation = ast.unparse(arg.annotation) if arg.annotation else "(none)"
            if annotation in ("Any", "(none)", "Any | None"):
                found.append(f"{path.name}:{node.lineno} {node.name}({arg.arg}: {annotation})")
    return found


def test_no_action_or_gate_takes_an_untyped_actor():
    offenders = [hit for path in MODULES.values() for hit in _untyped_people(path)]
    assert offenders == [], "type these as accounts.actor.Who (or Actor/User):\n" + "\n".join(
        offenders
    )
