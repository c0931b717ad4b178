"""No module imports itself back through other modules.

The import-linter contracts in pyproject.toml (``.venv/bin/lint-imports``) keep the layers
and forbid circles between sibling packages; this test looks at single modules, where a
circle also runs between a package's ``__init__`` and the modules under it (a re-export
that its own modules import back). Imports inside functions and under ``TYPE_CHECKING``
count: they run, or they tie the modules together for the reader.
"""

from __future__ import annotations

import grimp

ROOTS = ("bot", "handlers", "storage", "jobs")


def test_no_module_is_in_an_import_circle() -> None:
    graph = grimp.build_graph(*ROOTS, exclude_type_checking_imports=False, cache_dir=None)
    circles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                circles.add(" -> ".join((module, *back)))
    assert not circles, "\n".join(sorted(circles))
