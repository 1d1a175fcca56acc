"""Dependencies point one way: webui → coop. The core never imports Flask or webui."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "coop"
FORBIDDEN = ("flask", "webui", "flask_login", "flask_wtf", "werkzeug", "jinja2")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value))
    return names


def offending_imports(root: Path) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                bad.append(f"{path.relative_to(root.parent)} imports {name}")
    return bad


def test_nothing_under_coop_imports_flask_or_webui():
    assert CORE.is_dir()
    assert offending_imports(CORE) == []


def test_the_layering_check_catches_a_forbidden_import(tmp_path):
    pkg = tmp_path / "coop"
    pkg.mkdir()
    (pkg / "bad.py").write_text("from flask import current_app\nimport webui.portal\n")
    assert len(offending_imports(pkg)) == 2
