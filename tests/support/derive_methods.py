"""Derive ``slack_methods.json`` from Slack's published OpenAPI 2.0 description.

Usage::

    python -m tests.support.derive_methods PATH_TO/web-api-openapi-v2.json [--output FILE]

For every path (``/chat.postMessage`` …) the table holds the parameter names
(``params``), the ones the spec marks as required (``required``) and the OAuth
scopes from ``security`` (``scopes``). ``token`` is a parameter in the spec but
is left out: the stand-in checks the token separately. The pseudo-scope
``none`` (e.g. ``auth.test``, ``views.publish``) is written as an empty list.

The output is deterministic (sorted methods, sorted names, one method per line)
so that a test can re-derive it and compare it byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "bot" / "sandbox" / "slack_methods.json"


def derive(spec: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Return ``{method: {"params": [...], "required": [...], "scopes": [...]}}``."""
    table: dict[str, dict[str, list[str]]] = {}
    for path, operations in spec["paths"].items():
        method = path.lstrip("/")
        params: set[str] = set()
        required: set[str] = set()
        scopes: set[str] = set()
        for operation in operations.values():  # one HTTP verb per path in practice
            for param in operation.get("parameters", []):
                name = param["name"]
                if name == "token":
                    continue
                params.add(name)
                if param.get("required"):
                    required.add(name)
            for requirement in operation.get("security", []):
                for names in requirement.values():
                    scopes.update(s for s in names if s != "none")
        table[method] = {
            "params": sorted(params),
            "required": sorted(required),
            "scopes": sorted(scopes),
        }
    return table


def render(table: Mapping[str, Mapping[str, Sequence[str]]]) -> str:
    """Serialise the table as JSON: sorted keys, one method per line."""
    lines = [
        f"  {json.dumps(method)}: {json.dumps(table[method], sort_keys=True)}"
        for method in sorted(table)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def derive_file(spec_path: str | Path) -> str:
    """Read the spec at ``spec_path`` and return the rendered table."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    return render(derive(spec))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="path to Slack's web-api-openapi-v2.json")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="where to write the table")
    args = parser.parse_args(argv)
    table = derive(json.loads(Path(args.spec).read_text(encoding="utf-8")))
    Path(args.output).write_text(render(table), encoding="utf-8")
    print(f"wrote {len(table)} methods to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
