#!/usr/bin/env python3
"""Fails when the code names one of Wenshui's layer ids: layers are found by role.

The ids are read from data/wenshui/plan.toml. Searched: every crate's src/ (Rust) and
web/src (TypeScript), for an id as a whole quoted string ("farmland", 'red_line', `county`).
Not searched: comments, `#[cfg(test)]` items, the crates' tests/ and benches/ folders (tests
name the data they run on), crates/planmap-datagen (it draws Wenshui's data) and
crates/planmap-bench (it measures Wenshui's own layers and writes its own test plan).

Four of Wenshui's ids are also role names (county, red_line, places, neighbours): such a
string is allowed on a line that speaks of a role (`role`, `Role`, `roleId(…)`). A plan's
own field can share a layer id's spelling (a plan's `county` is its county's name): a line
saying so in a trailing comment, `// a plan field, not a layer id`, is allowed.

    python3 scripts/layer-ids.py          # exit 1 listing file:line of every hit
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_CRATES = {"planmap-datagen", "planmap-bench"}
ROLES = {"county", "subdivisions", "red_line", "parks", "places", "neighbours"}


def layer_ids():
    with open(ROOT / "data/wenshui/plan.toml", "rb") as f:
        return [layer["id"] for layer in tomllib.load(f)["layers"]]


def code_lines(path):
    """(line number, text) of the lines that are code: no comments, no #[cfg(test)] items."""
    lines = path.read_text(encoding="utf-8").splitlines()
    skip_depth = None  # brace depth to return to when inside a #[cfg(test)] item
    depth = 0
    pending_test = False
    for no, line in enumerate(lines, 1):
        stripped = line.strip()
        opens, closes = line.count("{"), line.count("}")
        if skip_depth is not None:
            depth += opens - closes
            if depth <= skip_depth:
                skip_depth = None
            continue
        if stripped.startswith("#[cfg(test)]"):
            pending_test = True
            continue
        if pending_test:
            if opens:
                skip_depth = depth
                depth += opens - closes
                pending_test = False
                if depth <= skip_depth:
                    skip_depth = None
                continue
            if stripped.endswith(";"):
                pending_test = False  # a single item (a `use`, a `mod x;`)
            continue
        depth += opens - closes
        if stripped.startswith(("//", "/*", "*")):
            continue
        code = line.split("//")[0] if path.suffix == ".rs" and " //" in line else line
        if "not a layer id" in line.split("//", 1)[-1] and "//" in line:
            continue
        yield no, code


def files():
    for crate in sorted((ROOT / "crates").iterdir()):
        if crate.name in SKIP_CRATES or not (crate / "src").is_dir():
            continue
        yield from sorted((crate / "src").rglob("*.rs"))
    yield from sorted((ROOT / "web/src").rglob("*.ts"))


def main():
    ids = layer_ids()
    pattern = re.compile(r"([\"'`])(" + "|".join(map(re.escape, ids)) + r")\1")
    hits = []
    for path in files():
        for no, line in code_lines(path):
            named = [m.group(2) for m in pattern.finditer(line)]
            if any(i not in ROLES or not re.search(r"role", line, re.IGNORECASE) for i in named):
                hits.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    if hits:
        print("Wenshui layer ids named in the code (find the layer by its role instead):")
        print("\n".join(hits))
        return 1
    print(f"no Wenshui layer id ({len(ids)}) named in crates/*/src or web/src")
    return 0


if __name__ == "__main__":
    sys.exit(main())
