"""The layering of docs/architecture.md, enforced: every import in src/hashstop points down.

Each top-level part of the package (`hashing`, `matching`, `storage`, `service`, `api`, `web`,
`app`, `client`, `cli`, ...) may import only the parts listed for it in `ALLOWED`, and the pure
parts may not import web or database libraries at all. Imports inside functions count too: a
lazy import is still a dependency. The checker reads the source with `ast` (nothing is imported),
and is itself tested on a small tree with an upward import planted in it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "hashstop"

# part -> the other parts of hashstop it may import ("" is the package root: `__version__`).
ALLOWED: dict[str, set[str]] = {
    "": set(),
    # The message catalogue: the standard library only; any part that speaks to a person uses it.
    "i18n": set(),
    "hashing": set(),
    "matching": {"hashing"},
    "config": set(),
    "logs": set(),
    "storage": {"hashing", "config"},
    "service": {"", "config", "logs", "hashing", "matching", "storage"},
    "api": {"", "config", "logs", "hashing", "service", "storage"},
    "web": {"", "config", "logs", "i18n", "hashing", "service", "storage", "api"},
    "app": {"", "config", "logs", "service", "storage", "api", "web"},
    "client": {"", "i18n", "hashing"},
    "cli": {"", "config", "logs", "i18n", "hashing", "service", "storage", "app", "client", "pytx"},
    # The pytx extension (issue 17): runs inside HMA or the threatexchange CLI, over HTTP only.
    "pytx": set(),
}
# Libraries of the server side that the pure parts and the victim's client must never load.
SERVER_LIBRARIES = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "jinja2",
    "prometheus_client",
}
FORBIDDEN_LIBRARIES: dict[str, set[str]] = {
    "hashing": SERVER_LIBRARIES | {"httpx", "click", "rich"},
    "matching": SERVER_LIBRARIES | {"httpx", "click", "rich"},
    "client": SERVER_LIBRARIES,
    "pytx": SERVER_LIBRARIES,
    "i18n": SERVER_LIBRARIES | {"httpx", "click", "rich", "babel", "numpy", "PIL"},
}


def _part(module: str) -> str:
    """`hashstop.service.cases` -> `service`; `hashstop.app` -> `app`; `hashstop` -> ``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ""


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, nested ones included."""
    found: list[tuple[int, str]] = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def violations(root: Path) -> list[str]:
    """Every import under `root` (a `hashstop` package folder) that breaks the contracts."""
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = ".".join(parts)
        source_part = _part(module)
        allowed = ALLOWED.get(source_part)
        where = f"{path.relative_to(root.parent)}"
        if allowed is None:
            problems.append(f"{where}: `{source_part}` is not a known layer; add it to ALLOWED")
            continue
        for line, name in _imports(path, module):
            top = name.split(".")[0]
            if top == "hashstop":
                target = _part(name)
                if target != source_part and target not in allowed:
                    problems.append(f"{where}:{line}: {source_part} imports {name}")
            elif top in FORBIDDEN_LIBRARIES.get(source_part, set()):
                problems.append(f"{where}:{line}: {source_part} imports the library {top}")
    return problems


def test_every_import_points_down_the_layers():
    assert violations(SRC) == []


def test_every_part_of_the_package_is_a_known_layer():
    modules = {p.stem for p in SRC.glob("*.py")} - {"__init__"}
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert modules | packages <= set(ALLOWED)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "hashstop"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_catches_an_upward_import(tmp_path):
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "hashing/__init__.py": "",
            "hashing/pdq.py": "def f():\n    from hashstop.service.cases import CaseService\n",
            "service/__init__.py": "",
            "service/cases.py": "from hashstop.hashing import pdq\n",
            "api/__init__.py": "from ..web import pages\n",
            "web/__init__.py": "",
            "web/pages.py": "",
            "client/__init__.py": "import sqlalchemy\n",
        },
    )
    found = violations(root)
    assert found == [
        "hashstop/api/__init__.py:1: api imports hashstop.web",
        "hashstop/client/__init__.py:1: client imports the library sqlalchemy",
        "hashstop/hashing/pdq.py:2: hashing imports hashstop.service.cases",
    ]
