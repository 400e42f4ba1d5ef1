#!/usr/bin/env python3
"""Copies a plan folder renaming every layer id: the rename test's data (tests/rename.rs, and
`make e2e`'s second run of the map and check suites).

Wenshui's ids become the ministry's layer codes (county → XZQ, red_line → STBHHX, …); the
manifest's layer ids, its rules' `a`/`b`, the layer file names and the rule names of
planted_conflicts.json are renamed, nothing else (roles, feature ids and attributes stay).

    python3 scripts/rename-plan.py data/wenshui OUT      # OUT must not exist
    python3 scripts/rename-plan.py --map                  # prints the mapping as JSON
"""

import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

# Wenshui's layer ids and the codes of the ministry's database standard they become.
RENAME = {
    "neighbours": "XZQ_LJ",
    "county": "XZQ",
    "townships": "XZQ_XZ",
    "eco_barrier": "STPZ",
    "eco_corridors": "STLD",
    "eco_network": "STWL",
    "rivers": "HL",
    "red_line": "STBHHX",
    "farmland": "YJJBNT",
    "urban_boundary": "CZKFBJ",
    "industrial_parks": "CYYQ",
    "water_sources": "YYSYBHQ",
    "places": "DM",
}

# `id = "x"` and rules' `a = "x"` / `b = "x"`, and `file = "layers/x.ext"`, at a line's start.
ID_LINE = re.compile(r'^(id|a|b)(\s*=\s*)"([^"]+)"', re.M)
FILE_LINE = re.compile(r'^(file\s*=\s*")layers/([^"./]+)(\.[^"]+)"', re.M)


def rename(src: Path, dst: Path) -> None:
    text = (src / "plan.toml").read_text(encoding="utf-8")
    ids = [layer["id"] for layer in tomllib.loads(text)["layers"]]
    missing = [i for i in ids if i not in RENAME]
    if missing:
        sys.exit(f"rename-plan: no new name for layer(s) {', '.join(missing)}")
    shutil.copytree(src, dst)

    def new_id(m):
        old = m.group(3)
        # The plan's own id (the manifest's first `id`) is not a layer id.
        return f'{m.group(1)}{m.group(2)}"{RENAME.get(old, old) if old in ids else old}"'

    text = ID_LINE.sub(new_id, text)
    text = FILE_LINE.sub(lambda m: f'{m.group(1)}layers/{RENAME.get(m.group(2), m.group(2))}{m.group(3)}"', text)
    (dst / "plan.toml").write_text(text, encoding="utf-8")
    for old, new in RENAME.items():
        for f in (dst / "layers").glob(f"{old}.*"):
            f.rename(f.with_name(new + f.name[len(old):]))
    planted = dst / "planted_conflicts.json"
    if planted.exists():
        rows = json.loads(planted.read_text(encoding="utf-8"))
        for r in rows:
            r["rule"] = "×".join(RENAME.get(p, p) for p in r["rule"].split("×"))
        planted.write_text(
            "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n", encoding="utf-8"
        )
    renamed = [layer["id"] for layer in tomllib.loads(text)["layers"]]
    assert renamed == [RENAME[i] for i in ids], renamed


def main() -> int:
    if sys.argv[1:] == ["--map"]:
        print(json.dumps(RENAME))
        return 0
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-2].strip(), file=sys.stderr)
        return 2
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    if dst.exists():
        sys.exit(f"rename-plan: {dst} exists")
    rename(src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
