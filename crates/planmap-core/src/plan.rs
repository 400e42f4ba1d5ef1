//! The plan: what a county's spatial plan is made of, as the manifest describes it.
//!
//! A plan folder holds a manifest (`plan.toml`), its indicator table and one file a
//! layer. The structs here are the manifest's shape; reading the files is `planmap-io`'s job.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::draw::{Draw, DrawSpec};
use crate::error::PlanError;
pub use crate::kinds::{GeometryKind, LayerKind, Role};
pub use crate::postgis::PostgisSource;

/// The plan's metadata, layers and rules, as written in its manifest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub county: String,
    #[serde(default)]
    pub county_en: String,
    #[serde(default)]
    pub adcode: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub city: String,
    /// The county area the plan states, km².
    pub county_area_km2: f64,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub base_year: Option<i32>,
    /// Relative path of the indicator CSV inside the plan folder.
    #[serde(default, skip_serializing)]
    pub indicators: Option<String>,
    /// Overlaps smaller than this, in m², are slivers, counted apart.
    #[serde(default = "default_sliver")]
    pub sliver_tolerance_m2: f64,
    /// Whether the shipped layers are illustrative rather than the official ones.
    #[serde(default)]
    pub illustrative: bool,
    #[serde(default)]
    pub caveat: String,
    #[serde(default)]
    pub caveat_en: String,
    #[serde(default)]
    pub center: Option<[f64; 2]>,
    #[serde(default)]
    pub zoom: Option<f64>,
    pub layers: Vec<LayerDef>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// `[basemap]`: tiles drawn under the plan's layers; none by default (fully offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basemap: Option<Basemap>,
}

/// A basemap a public map may use: an XYZ raster tile URL template (`{z}`, `{x}`, `{y}`),
/// which also reads 天地图's WMTS in KVP form (`…&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}`) or
/// its XYZ service; `{tk}` in the URL is replaced by `tk`, the deployer's key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basemap {
    pub url: String,
    /// The deployer's key for the URL's `{tk}` (天地图).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tk: Option<String>,
    /// Whose the basemap is, as its terms ask to be credited.
    #[serde(default)]
    pub attribution: String,
    /// The basemap's map approval number (审图号), shown with the map and in every report.
    #[serde(default)]
    pub approval: String,
    /// Pixels a tile is wide (256 or 512).
    #[serde(default = "default_tile_size")]
    pub tile_size: u32,
    /// The deepest zoom the service has (deeper: its tiles scaled).
    #[serde(default = "default_basemap_zoom")]
    pub max_zoom: u8,
}

fn default_tile_size() -> u32 {
    256
}

fn default_basemap_zoom() -> u8 {
    18
}

impl Basemap {
    /// A basemap from its URL alone (`--basemap URL`).
    pub fn from_url(url: &str) -> Basemap {
        Basemap {
            url: url.to_string(),
            tk: None,
            attribution: String::new(),
            approval: String::new(),
            tile_size: default_tile_size(),
            max_zoom: default_basemap_zoom(),
        }
    }

    /// The tile URL template with the key in place of `{tk}`.
    pub fn tiles(&self) -> String {
        self.url.replace("{tk}", self.tk.as_deref().unwrap_or(""))
    }

    /// `scheme://host[:port]` of the tiles' URL (what a Content-Security-Policy allows);
    /// `None` unless it is http(s).
    pub fn origin(&self) -> Option<&str> {
        let url = self.url.as_str();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let end = url.len() - rest.len() + host_end;
        (host_end > 0).then(|| &url[..end])
    }

    /// What the map and reports credit: the attribution and the 审图号, as given.
    pub fn credit(&self) -> String {
        match (self.attribution.trim(), self.approval.trim()) {
            ("", "") => String::new(),
            (a, "") => a.to_string(),
            ("", n) => format!("审图号：{n}"),
            (a, n) => format!("{a} · 审图号：{n}"),
        }
    }

    /// The URL must be http(s) and address tiles by `{z}`, `{x}` and `{y}`.
    pub fn validate(&self) -> Result<(), String> {
        let u = self.url.trim();
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(format!("basemap url '{u}': expected http:// or https://"));
        }
        for p in ["{z}", "{x}", "{y}"] {
            if !u.contains(p) {
                return Err(format!(
                    "basemap url '{u}': no {p} (an XYZ tile URL template)"
                ));
            }
        }
        if u.contains("{tk}") && self.tk.as_deref().is_none_or(|k| k.trim().is_empty()) {
            return Err(format!(
                "basemap url '{u}' has {{tk}} but no tk (the key) is given"
            ));
        }
        if ![256, 512].contains(&self.tile_size) || self.max_zoom > 22 {
            return Err("basemap tile_size must be 256 or 512 and max_zoom at most 22".into());
        }
        Ok(())
    }
}

fn default_sliver() -> f64 {
    1.0
}

/// One layer of the plan.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct LayerDef {
    pub id: String,
    /// 中文名
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub kind: LayerKind,
    pub geometry: GeometryKind,
    /// CSS colour, `#rrggbb`.
    pub color: String,
    /// Relative path of the layer file inside the plan folder.
    #[serde(default, skip_serializing)]
    pub file: Option<String>,
    /// `[layers.postgis]`: the layer is the keeper's PostGIS table or view, not a file (it
    /// needs `--db`).
    #[serde(default, skip_serializing)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub postgis: Option<PostgisSource>,
    #[serde(default)]
    pub site_role: SiteRole,
    /// The figure the plan sets for this layer, if any.
    #[serde(default)]
    pub target: Option<Target>,
    /// The part the layer plays in the plan, if any: the code finds layers by role, never by
    /// id.
    #[serde(default)]
    pub role: Option<Role>,
    /// The manifest's `[layers.draw]` table as written (read into [`LayerDef::draw`]).
    #[serde(default, rename = "draw", skip_serializing)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub draw_spec: DrawSpec,
    /// How the layer is drawn: `draw_spec` over the defaults of its kind, geometry and role.
    #[serde(skip_deserializing)]
    pub draw: Draw,
}

impl<'de> Deserialize<'de> for LayerDef {
    /// The layer as written, its drawing completed from the defaults; a bad `draw` value is
    /// an error naming the layer and the key. The `subdivisions` and `parks` roles locate a
    /// site (`site_role = "locate"`) unless the manifest gives them another site role.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut l = LayerDef::deserialize(d)?;
        if matches!(l.role, Some(Role::Subdivisions | Role::Parks)) && l.site_role == SiteRole::None
        {
            l.site_role = SiteRole::Locate;
        }
        if let Some(p) = &l.postgis {
            if l.file.is_some() {
                return Err(serde::de::Error::custom(format!(
                    "layer '{}': both file and [layers.postgis]; give one",
                    l.id
                )));
            }
            p.validate()
                .map_err(|e| serde::de::Error::custom(format!("layer '{}': {e}", l.id)))?;
        }
        l.draw = Draw::defaults(l.kind, l.geometry, l.role, &l.color)
            .resolve(&l.draw_spec)
            .map_err(|e| serde::de::Error::custom(format!("layer '{}': {e}", l.id)))?;
        Ok(l)
    }
}

impl Serialize for LayerDef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LayerDef::serialize(self, s)
    }
}

/// What overlapping this layer means for a project site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SiteRole {
    /// Overlap beyond the sliver tolerance: 不通过.
    Prohibited,
    /// Overlap: 需论证 (needs assessment).
    Assess,
    /// Not a constraint; the report names which features contain the site.
    Locate,
    #[default]
    None,
}

/// A figure the plan sets for a layer's total.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub value: f64,
    pub unit: TargetUnit,
    #[serde(default)]
    pub indicator: Option<u32>,
    #[serde(default)]
    pub source: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetUnit {
    Km2,
    Wanmu,
    Mu,
    Ha,
}

impl Target {
    /// The target in m².
    pub fn m2(&self) -> f64 {
        use crate::units::Area;
        match self.unit {
            TargetUnit::Km2 => Area::from_km2(self.value).m2(),
            TargetUnit::Wanmu => Area::from_mu(self.value * crate::units::MU_PER_WANMU).m2(),
            TargetUnit::Mu => Area::from_mu(self.value).m2(),
            TargetUnit::Ha => self.value * crate::units::M2_PER_HA,
        }
    }
}

/// A conflict rule: features of `a` must not overlap features of `b`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub a: String,
    pub b: String,
    pub severity: Severity,
    #[serde(default)]
    pub reason: String,
}

impl Rule {
    /// `red_line×farmland`
    pub fn key(&self) -> String {
        format!("{}×{}", self.a, self.b)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Conflict,
}

/// One row of the plan's indicator table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Indicator {
    pub category: String,
    pub no: u32,
    pub indicator: String,
    pub unit: String,
    pub baseline_2023: String,
    pub target_2027: String,
    pub target_2035: String,
    /// 约束性 (binding) or 预期性 (expected).
    pub binding: String,
}

impl Plan {
    pub fn layer(&self, id: &str) -> Option<&LayerDef> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// The layer that plays `role`, if any (a valid plan has exactly one `county`).
    pub fn role(&self, role: Role) -> Option<&LayerDef> {
        self.layers.iter().find(|l| l.role == Some(role))
    }

    /// Checks the manifest is consistent: unique layer ids, exactly one `county` layer and at
    /// most one layer of each other role, each of its role's geometry, rules naming known
    /// polygon layers.
    pub fn validate(&self) -> Result<(), PlanError> {
        for (i, l) in self.layers.iter().enumerate() {
            if self.layers[..i].iter().any(|o| o.id == l.id) {
                return Err(PlanError::DuplicateLayer(l.id.clone()));
            }
        }
        for role in Role::ALL {
            let mut of_role = self.layers.iter().filter(|l| l.role == Some(role));
            match (of_role.next(), of_role.next()) {
                (None, _) if role == Role::County => return Err(PlanError::NoCounty),
                (Some(a), Some(b)) => {
                    return Err(PlanError::DuplicateRole {
                        role: role.as_str(),
                        a: a.id.clone(),
                        b: b.id.clone(),
                    })
                }
                (Some(l), None) if l.geometry != role.geometry() => {
                    return Err(PlanError::RoleGeometry {
                        layer: l.id.clone(),
                        role: role.as_str(),
                        expected: role.geometry().as_str(),
                    })
                }
                _ => {}
            }
        }
        for (index, r) in self.rules.iter().enumerate() {
            for layer in [&r.a, &r.b] {
                match self.layer(layer) {
                    Some(l) if l.geometry == GeometryKind::Polygon => {}
                    Some(_) => {
                        return Err(PlanError::Manifest(format!(
                            "rule {index} names layer '{layer}', which is not a polygon layer"
                        )))
                    }
                    None => {
                        return Err(PlanError::RuleUnknownLayer {
                            index,
                            layer: layer.clone(),
                        })
                    }
                }
            }
        }
        if !(self.sliver_tolerance_m2 >= 0.0 && self.sliver_tolerance_m2.is_finite()) {
            return Err(PlanError::Manifest(
                "sliver_tolerance_m2 must be a finite number ≥ 0".into(),
            ));
        }
        if let Some(b) = &self.basemap {
            b.validate().map_err(PlanError::Manifest)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(layers: serde_json::Value) -> Result<Plan, String> {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "id": "t", "name": "t", "county": "t", "county_area_km2": 1.0, "layers": layers,
        }))
        .map_err(|e| e.to_string())?;
        plan.validate().map_err(|e| e.to_string())?;
        Ok(plan)
    }

    fn layer(id: &str, geometry: &str, role: Option<&str>) -> serde_json::Value {
        let mut l = serde_json::json!({"id": id, "name": id, "kind": "boundary",
                                       "geometry": geometry, "color": "#333333"});
        if let Some(r) = role {
            l["role"] = r.into();
        }
        l
    }

    #[test]
    fn a_plan_has_one_county_and_each_role_once_in_its_geometry() {
        let ok = plan(serde_json::json!([
            layer("XZQ", "polygon", Some("county")),
            layer("XZQ_XZ", "polygon", Some("subdivisions")),
            layer("DM", "point", Some("places")),
        ]))
        .unwrap();
        assert_eq!(ok.role(Role::County).unwrap().id, "XZQ");
        assert_eq!(ok.role(Role::Places).unwrap().id, "DM");
        assert!(ok.role(Role::RedLine).is_none());
        // The subdivisions locate a site without saying so.
        assert_eq!(
            ok.role(Role::Subdivisions).unwrap().site_role,
            SiteRole::Locate
        );

        let none = plan(serde_json::json!([layer("XZQ", "polygon", None)])).unwrap_err();
        assert!(none.contains("role = \"county\""), "{none}");
        let two = plan(serde_json::json!([
            layer("a", "polygon", Some("county")),
            layer("b", "polygon", Some("county")),
        ]))
        .unwrap_err();
        assert!(two.contains("'a' and 'b'"), "{two}");
        let point = plan(serde_json::json!([
            layer("a", "polygon", Some("county")),
            layer("b", "point", Some("red_line")),
        ]))
        .unwrap_err();
        assert!(
            point.contains("'b'") && point.contains("polygon"),
            "{point}"
        );
        let unknown =
            plan(serde_json::json!([layer("a", "polygon", Some("capital"))])).unwrap_err();
        assert!(unknown.contains("capital"), "{unknown}");
    }

    #[test]
    fn drawing_comes_from_the_kind_and_the_manifest_overrides_it() {
        let mut county = layer("XZQ", "polygon", Some("county"));
        county["draw"] = serde_json::json!({"fill": "#fbfaf6", "fill_opacity": 1.0,
                                            "width": [[8, 1.6], [13, 3]]});
        let mut red = layer("STBHHX", "polygon", Some("red_line"));
        red["kind"] = "protected".into();
        red["color"] = "#e60000".into();
        let p = plan(serde_json::json!([county, red])).unwrap();
        let c = &p.layers[0].draw;
        assert_eq!((c.fill.as_deref(), c.fill_opacity), (Some("#fbfaf6"), 1.0));
        assert_eq!(c.width.at(13.0), 3.0);
        assert_eq!(c.label, None);
        let r = &p.layers[1].draw;
        assert_eq!(
            (r.fill.as_deref(), r.fill_opacity, r.order),
            (Some("#e60000"), 0.55, 2.0)
        );

        let mut bad = layer("XZQ", "polygon", Some("county"));
        bad["draw"] = serde_json::json!({"outline": "dark"});
        let e = plan(serde_json::json!([bad])).unwrap_err();
        assert!(
            e.contains("layer 'XZQ'") && e.contains("draw.outline"),
            "{e}"
        );
        let mut typo = layer("XZQ", "polygon", Some("county"));
        typo["draw"] = serde_json::json!({"colour": "#000000"});
        let e = plan(serde_json::json!([typo])).unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }
}

#[cfg(test)]
mod basemap_tests {
    use super::Basemap;

    #[test]
    fn a_tianditu_key_goes_in_its_place_and_the_credit_names_the_approval() {
        let b = Basemap {
            tk: Some("KEY".into()),
            attribution: "天地图".into(),
            approval: "GS(2024)0650号".into(),
            ..Basemap::from_url(
                "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=vec\
                 &TILEMATRIXSET=w&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}",
            )
        };
        assert!(b.validate().is_ok());
        assert!(b.tiles().ends_with("&tk=KEY"));
        assert_eq!(b.credit(), "天地图 · 审图号：GS(2024)0650号");
    }

    #[test]
    fn bad_basemaps_are_named() {
        let no_key = Basemap::from_url("https://t0.example/{z}/{x}/{y}.png?tk={tk}");
        assert!(no_key.validate().unwrap_err().contains("no tk"));
        let no_y = Basemap::from_url("https://t0.example/{z}/{x}.png");
        assert!(no_y.validate().unwrap_err().contains("{y}"));
        let ftp = Basemap::from_url("ftp://t0.example/{z}/{x}/{y}.png");
        assert!(ftp.validate().unwrap_err().contains("http"));
    }
}
