"""Imports follow the dependency direction of DESIGN.md, read from the source (ast), every module
of every project app, imports inside functions included.

- An app imports only the apps listed for it in ``ALLOWED`` (and the kernel, ``prm``, imports none).
- No app imports another app's ``views``, ``forms``, ``admin`` or ``api``: apps talk through
  services, selectors, models and signals; what they share lives in the kernel.

A new app adds one line to ``ALLOWED``; the test fails until it does.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# app -> the project apps it may import. Keep DESIGN.md's direction: prm <- partners <- deals <- incentives.
ALLOWED: dict[str, set[str]] = {
    "prm": set(),
    "partners": {"prm"},
    "deals": {"prm", "partners"},
    "incentives": {"prm", "partners", "deals"},
    "enablement": {"prm", "partners", "deals", "incentives"},
    "conflicts": {"prm", "partners", "deals", "incentives"},
    "performance": {"prm", "partners", "deals", "incentives", "enablement", "conflicts", "marketing"},
    "marketing": {"prm", "partners", "deals", "incentives"},
    # "integrations": {"prm", "partners", "deals", "incentives"},
}

# Modules that are an app's own surface; no other app reaches into them. The kernel's modules of
# the same names (prm.admin, prm.api, prm.forms, prm.views) are shared helpers, made to be imported.
PRIVATE_MODULES = {"views", "forms", "admin", "api"}
KERNEL = "prm"

# The project's URL configuration wires every app's pages and API in: it is the project, not the
# kernel, and the one module allowed to import them all.
WIRING = {"prm/urls.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(module: str, is_package: bool, tree: ast.AST):
    """Yield (line, imported dotted name) for every import in ``tree``, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module
            yield node.lineno, target
            if "." not in target:  # `from partners import views`: the names may be modules
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"


def violations_in(app: str, module: str, source: str, *, is_package: bool = False) -> list[str]:
    """What is wrong with the imports of one module of ``app`` (empty when nothing)."""
    found = []
    tree = ast.parse(source)
    for line, name in _imported(module, is_package, tree):
        parts = name.split(".")
        other = parts[0]
        if other not in ALLOWED or other == app:
            continue
        if other not in ALLOWED[app]:
            found.append(f"{module}:{line} imports {name}: {app} may import only {sorted(ALLOWED[app]) or 'no app'}")
        elif other != KERNEL and len(parts) > 1 and parts[1] in PRIVATE_MODULES:
            found.append(
                f"{module}:{line} imports {name}: another app's {parts[1]} is private; use its services or "
                f"selectors, or the kernel"
            )
    return found


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative not in WIRING:
            yield path


def test_every_project_app_has_its_line():
    assert set(settings.PROJECT_APPS) == set(ALLOWED), "Add the new app to ALLOWED with the apps it may import."


def test_the_allowed_apps_come_before_in_project_apps():
    order = {app: i for i, app in enumerate(settings.PROJECT_APPS)}
    for app, allowed in ALLOWED.items():
        assert all(order[other] < order[app] for other in allowed), app


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_imports_follow_the_dependency_direction(app):
    problems = []
    for path in _modules(app):
        problems += violations_in(
            app, _module_name(path), path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py"
        )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("app", "source", "problem"),
    [
        ("prm", "from partners.models import Partner", "prm may import only no app"),
        ("partners", "def f():\n    from deals import services", "partners may import only ['prm']"),
        ("deals", "import incentives.models", "deals may import only ['partners', 'prm']"),
        ("deals", "from partners.views import partner_required", "partners.views: another app's views is private"),
        ("incentives", "from partners import forms", "partners.forms: another app's forms is private"),
        ("incentives", "from deals.admin import DealAdmin", "another app's admin is private"),
        ("incentives", "import partners.api", "another app's api is private"),
    ],
)
def test_the_check_finds_each_kind_of_violation(app, source, problem):
    found = violations_in(app, f"{app}.example", source)
    assert any(problem in text for text in found), found


@pytest.mark.parametrize(
    ("app", "module", "source"),
    [
        ("deals", "deals.views", "from partners import services, selectors\nfrom partners.models import Partner"),
        ("incentives", "incentives.apps", "from deals.signals import deal_won"),
        (
            "partners",
            "partners.services.lifecycle",
            "from ..models import Partner\nfrom .accounts import access_revoke",
        ),
        ("partners", "partners.views", "from prm.portal import partner_required\nfrom . import forms"),
        ("deals", "deals.admin", "from prm.admin import ask_then_run\nfrom prm.forms import CommaSeparatedField"),
    ],
)
def test_the_check_allows_what_design_allows(app, module, source):
    assert violations_in(app, module, source) == []
