//! A generated plan's manifest (`plan.toml`) and indicator table (`indicators.csv`).
//!
//! Layer ids follow the ministry's planning-database codes (XZQ 行政区, STBHHX 生态保护红线,
//! YJJBNT 永久基本农田, CZKFBJ 城镇开发边界, …), not Wenshui's, and each layer that plays a part
//! says which (`role`). The indicators are the totals that were drawn.

use std::fmt::Write as _;

pub const NEIGHBOURS: &str = "XZQ_LJ";
pub const COUNTY: &str = "XZQ";
pub const TOWNSHIPS: &str = "XZQ_XZ";
pub const RIVERS: &str = "HL";
pub const RED_LINE: &str = "STBHHX";
pub const FARMLAND: &str = "YJJBNT";
pub const URBAN: &str = "CZKFBJ";
pub const PARKS: &str = "CYYQ";
pub const WATER: &str = "YYSYBHQ";
pub const PLACES: &str = "DM";

/// An indicator a layer's total is reported as.
pub struct Indicator {
    pub no: u32,
    pub name: &'static str,
    pub category: &'static str,
    /// The CSV's unit, and the manifest target's.
    pub unit: &'static str,
    pub target_unit: &'static str,
    pub binding: &'static str,
}

impl Indicator {
    /// A total in m² in this indicator's unit.
    pub fn value(&self, m2: f64) -> f64 {
        match self.target_unit {
            "wanmu" => m2 * crate::out::MU_PER_M2 / 10_000.0,
            _ => m2 / 1e6,
        }
    }
}

/// One layer of a generated plan, in drawing order.
pub struct Spec {
    pub id: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub kind: &'static str,
    pub geometry: &'static str,
    pub color: &'static str,
    pub site_role: &'static str,
    pub role: Option<&'static str>,
    pub indicator: Option<Indicator>,
    /// The layer's `[layers.draw]` lines (over the defaults of its kind), as Wenshui draws it.
    pub draw: &'static str,
}

const fn km2(
    no: u32,
    name: &'static str,
    category: &'static str,
    binding: &'static str,
) -> Option<Indicator> {
    Some(Indicator {
        no,
        name,
        category,
        unit: "平方公里",
        target_unit: "km2",
        binding,
    })
}

pub const LAYERS: [Spec; 10] = [
    Spec {
        id: NEIGHBOURS,
        name: "相邻县区",
        name_en: "Neighbouring counties",
        kind: "reference",
        geometry: "polygon",
        color: "#bdbdbd",
        site_role: "none",
        role: Some("neighbours"),
        indicator: None,
        draw: r##"fill = "#e4e3dc"
fill_opacity = 1.0
outline = "#c9c7bd"
label_size = 15
label_spacing = 0.4
label_color = "#9a978c"
label_halo = "#f3f2ec"
label_halo_width = 1.2
label_order = 6
"##,
    },
    Spec {
        id: COUNTY,
        name: "行政区",
        name_en: "County",
        kind: "boundary",
        geometry: "polygon",
        color: "#333333",
        site_role: "none",
        role: Some("county"),
        indicator: None,
        draw: r##"fill = "#fbfaf6"
fill_opacity = 1.0
outline = "#5b4a3a"
width = [[8, 1.6], [13, 3]]
dash = [5, 1.5, 1, 1.5]
"##,
    },
    Spec {
        id: TOWNSHIPS,
        name: "乡镇（示意）",
        name_en: "Townships (illustrative)",
        kind: "boundary",
        geometry: "polygon",
        color: "#7b7b7b",
        site_role: "locate",
        role: Some("subdivisions"),
        indicator: None,
        draw: r##"outline = "#8a8577"
dash = [3, 2]
label_minzoom = 8.5
label_size = [[9, 13], [13, 17]]
label_spacing = 0.2
label_color = "#3e3a30"
label_halo = "rgba(255,255,255,0.9)"
label_halo_width = 1.8
label_order = 7
"##,
    },
    Spec {
        id: RIVERS,
        name: "河流",
        name_en: "Rivers",
        kind: "reference",
        geometry: "line",
        color: "#1e88e5",
        site_role: "none",
        role: None,
        indicator: None,
        draw: "",
    },
    Spec {
        id: RED_LINE,
        name: "生态保护红线",
        name_en: "Ecological protection red line",
        kind: "protected",
        geometry: "polygon",
        color: "#e60000",
        site_role: "prohibited",
        role: Some("red_line"),
        indicator: km2(1, "生态保护红线面积", "底线管控", "约束性"),
        draw: r##"fill_opacity = 0.5
width = [[8, 0.8], [14, 2]]
"##,
    },
    Spec {
        id: FARMLAND,
        name: "永久基本农田",
        name_en: "Permanent basic farmland",
        kind: "protected",
        geometry: "polygon",
        color: "#f2c94c",
        site_role: "prohibited",
        role: None,
        indicator: Some(Indicator {
            no: 2,
            name: "永久基本农田保护面积",
            category: "底线管控",
            unit: "万亩",
            target_unit: "wanmu",
            binding: "约束性",
        }),
        draw: r##"search = false
"##,
    },
    Spec {
        id: URBAN,
        name: "城镇开发边界",
        name_en: "Urban development boundary",
        kind: "zoning",
        geometry: "polygon",
        color: "#9c27b0",
        site_role: "none",
        role: None,
        indicator: km2(3, "城镇开发边界面积", "底线管控", "约束性"),
        draw: "",
    },
    Spec {
        id: PARKS,
        name: "产业园区",
        name_en: "Industrial parks",
        kind: "development",
        geometry: "polygon",
        color: "#8d6e63",
        site_role: "locate",
        role: Some("parks"),
        indicator: km2(5, "产业园区面积", "产业发展", "预期性"),
        draw: r##"label_minzoom = 9
label_color = "#5d4037"
label_order = 8
"##,
    },
    Spec {
        id: WATER,
        name: "饮用水水源保护区",
        name_en: "Drinking-water source protection zones",
        kind: "protected",
        geometry: "polygon",
        color: "#0057b8",
        site_role: "prohibited",
        role: None,
        indicator: km2(4, "饮用水水源保护区面积", "资源保护", "约束性"),
        draw: "",
    },
    Spec {
        id: PLACES,
        name: "地名",
        name_en: "Places",
        kind: "reference",
        geometry: "point",
        color: "#222222",
        site_role: "none",
        role: Some("places"),
        indicator: None,
        draw: r##"radius = [[8, 2], [11, 4], [14, 5]]
width = [[8, 0.5], [11, 1.2]]
label_minzoom = 9
label_color = "#2b2b2b"
"##,
    },
];

/// The conflict rules: Wenshui's defaults, on these ids.
pub const RULES: [(&str, &str, &str); 6] = [
    (RED_LINE, FARMLAND, "三条控制线不得交叉重叠"),
    (RED_LINE, URBAN, "三条控制线不得交叉重叠"),
    (FARMLAND, URBAN, "三条控制线不得交叉重叠"),
    (RED_LINE, PARKS, "园区不得占用生态保护红线"),
    (FARMLAND, PARKS, "园区不得占用永久基本农田"),
    (WATER, PARKS, "园区不得进入饮用水水源保护区"),
];

/// What the manifest says about the plan besides its layers.
pub struct Meta<'a> {
    pub id: &'a str,
    pub county: &'a str,
    pub adcode: &'a str,
    pub city: &'a str,
    pub province: &'a str,
    pub area_km2: f64,
    pub center: (f64, f64),
    pub zoom: f64,
}

/// A TOML (and JSON) basic string.
fn q(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// A figure as written (4 decimals: 100 m² in km², 1 亩 in 万亩).
pub fn figure(v: f64) -> String {
    format!("{v:.4}")
}

/// `plan.toml`; `totals` are each layer's drawn total in m² (by layer id).
pub fn plan_toml(m: &Meta, totals: &[(&str, f64)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# planmap plan manifest, written by planmap-datagen (region): an illustrative plan drawn on\n\
         # the real outline of {}. 示意数据，非官方成果. Regenerate with `make data`.",
        m.county
    );
    let name = format!("{}国土空间规划（示意）", m.county);
    let kv: [(&str, String); 10] = [
        ("id", q(m.id)),
        ("name", q(&name)),
        (
            "name_en",
            q(&format!("Illustrative spatial plan, adcode {}", m.adcode)),
        ),
        ("county", q(m.county)),
        ("adcode", q(m.adcode)),
        ("province", q(m.province)),
        ("city", q(m.city)),
        ("county_area_km2", format!("{:.2}", m.area_km2)),
        ("period", q("2021—2035")),
        ("base_year", "2023".into()),
    ];
    for (k, v) in kv {
        let _ = writeln!(s, "{k} = {v}");
    }
    s.push_str(
        "indicators = \"indicators.csv\"\n\
         # Overlaps smaller than this (m²) are counted apart as slivers, not as conflicts.\n\
         sliver_tolerance_m2 = 1.0\n\
         # Only the county and neighbour outlines are real; every other layer is drawn.\n\
         illustrative = true\n\
         caveat = \"示意数据，非官方成果\"\n\
         caveat_en = \"Illustrative data, not the official plan layers\"\n",
    );
    let _ = writeln!(s, "center = [{:.4}, {:.4}]", m.center.0, m.center.1);
    let _ = writeln!(s, "zoom = {:.1}", m.zoom);
    s.push_str(
        "\n# role: the part a layer plays (county, subdivisions, red_line, parks, places, neighbours)\n\
         # [layers.draw]: how the map draws it, over the defaults of its kind (as Wenshui is drawn)\n",
    );
    for l in &LAYERS {
        let _ = write!(
            s,
            "\n[[layers]]\nid = {}\nname = {}\nname_en = {}\nkind = {}\ngeometry = {}\ncolor = {}\nfile = {}\nsite_role = {}\n",
            q(l.id),
            q(l.name),
            q(l.name_en),
            q(l.kind),
            q(l.geometry),
            q(l.color),
            q(&format!("layers/{}.geojson", l.id)),
            q(l.site_role)
        );
        if let Some(role) = l.role {
            let _ = writeln!(s, "role = {}", q(role));
        }
        if let Some(ind) = &l.indicator {
            let total = totals.iter().find(|t| t.0 == l.id).map_or(0.0, |t| t.1);
            let v = figure(ind.value(total));
            let _ = writeln!(
                s,
                "target = {{ value = {v}, unit = {}, indicator = {}, source = {} }}",
                q(ind.target_unit),
                ind.no,
                q(&format!(
                    "指标{} {} {v} {}（示意）",
                    ind.no, ind.name, ind.unit
                ))
            );
        }
        if !l.draw.is_empty() {
            let _ = write!(s, "\n[layers.draw]\n{}", l.draw);
        }
    }
    s.push_str(
        "\n# Conflict rules between layers (三线 and the rest). severity: conflict | warning\n",
    );
    for (a, b, reason) in RULES {
        let _ = write!(
            s,
            "\n[[rules]]\na = {}\nb = {}\nseverity = \"conflict\"\nreason = {}\n",
            q(a),
            q(b),
            q(reason)
        );
    }
    s
}

/// `indicators.csv`: one row an area indicator, the drawn total as baseline and targets.
pub fn indicators_csv(totals: &[(&str, f64)]) -> String {
    let mut rows: Vec<(u32, String)> = LAYERS
        .iter()
        .filter_map(|l| {
            let ind = l.indicator.as_ref()?;
            let total = totals.iter().find(|t| t.0 == l.id).map_or(0.0, |t| t.1);
            let v = figure(ind.value(total));
            Some((
                ind.no,
                format!(
                    "{},{},{},{},{v},{v},{v},{}\n",
                    ind.category, ind.no, ind.name, ind.unit, ind.binding
                ),
            ))
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let mut s =
        String::from("category,no,indicator,unit,baseline_2023,target_2027,target_2035,binding\n");
    for (_, r) in rows {
        s.push_str(&r);
    }
    s
}
