"""The layers run one way (`make lint` checks them with import-linter, pyproject.toml);
here, no module imports, directly or through others, a module that imports it back.
Imports under TYPE_CHECKING and inside functions count: a loop hidden in either is
still a loop."""

from __future__ import annotations

import grimp

PACKAGES = ("app", "containers", "settings")


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = grimp.build_graph(*PACKAGES)
    loops = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                loops.add(" -> ".join((module, *back)))
    assert "app.adapters.sql.adapter" in graph.modules  # the graph holds the service's modules
    assert not loops, "import loops:\n" + "\n".join(sorted(loops))
