"""What every sandbox data generator shares: JSON text as the generators write it, and the command
line that writes the files or, with ``--check``, verifies the committed ones."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Contents = Mapping[Path, str | bytes]


def json_text(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def main(
    render: Callable[[], Contents],
    argv: list[str] | None,
    *,
    script: str,
    doc: str | None,
    owned_dir: Path | None = None,
) -> int:
    """Write ``render()``'s files, or with ``--check`` exit 1 when a committed one differs.

    ``owned_dir``: a folder holding only generated files; others found there are stale too.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument(
        "--check", action="store_true", help="verify the committed files instead of writing them"
    )
    args = parser.parse_args(argv)
    files = {path: _as_bytes(content) for path, content in render().items()}
    extra = sorted(set(owned_dir.glob("*")) - set(files)) if owned_dir and owned_dir.exists() else []
    name = f"tools/{Path(script).name}"
    if args.check:
        stale = [path for path, data in files.items() if not path.exists() or path.read_bytes() != data]
        for path in stale:
            print(f"{path} is out of date: run python {name}", file=sys.stderr)
        for path in extra:
            print(f"{path} is not generated: run python {name}", file=sys.stderr)
        return 1 if stale or extra else 0
    for path in extra:
        path.unlink()
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")
    return 0
