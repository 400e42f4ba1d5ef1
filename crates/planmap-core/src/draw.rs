//! How a layer is drawn: the manifest's `[layers.draw]` table, completed with defaults from
//! the layer's kind, geometry and role, so that a manifest without one still draws well.
//!
//! The web map's style (`/style.json`), its labels and search, and the report maps all read
//! the completed [`Draw`]; nothing in the code styles a layer by its id.

use serde::{Deserialize, Serialize};

use crate::kinds::{GeometryKind, LayerKind, Role};

/// A number, or a number by zoom: `[[zoom, value], …]`, interpolated linearly between the
/// stops (MapLibre's `["interpolate", ["linear"], ["zoom"], …]`) and constant beyond them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stops {
    Fixed(f64),
    Zoom(Vec<[f64; 2]>),
}

impl Stops {
    /// The value at `zoom`.
    pub fn at(&self, zoom: f64) -> f64 {
        match self {
            Stops::Fixed(v) => *v,
            Stops::Zoom(stops) => {
                let (Some(first), Some(last)) = (stops.first(), stops.last()) else {
                    return 0.0;
                };
                if zoom <= first[0] {
                    return first[1];
                }
                for w in stops.windows(2) {
                    let ([z0, v0], [z1, v1]) = (w[0], w[1]);
                    if zoom <= z1 {
                        return v0 + (v1 - v0) * (zoom - z0) / (z1 - z0);
                    }
                }
                last[1]
            }
        }
    }

    /// Finite values ≥ 0; zoom stops not empty, zooms in 0..=24 and increasing.
    fn check(&self, key: &str) -> Result<(), String> {
        let value = |v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!("{key}: {v} is not a finite number ≥ 0"))
            }
        };
        match self {
            Stops::Fixed(v) => value(*v),
            Stops::Zoom(stops) if stops.is_empty() => Err(format!("{key}: no zoom stops")),
            Stops::Zoom(stops) => {
                for (i, [z, v]) in stops.iter().enumerate() {
                    check_zoom(key, *z)?;
                    value(*v)?;
                    if i > 0 && *z <= stops[i - 1][0] {
                        return Err(format!(
                            "{key}: zoom stops must increase ({z} after {})",
                            stops[i - 1][0]
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

fn check_zoom(key: &str, z: f64) -> Result<(), String> {
    if (0.0..=24.0).contains(&z) {
        Ok(())
    } else {
        Err(format!("{key}: zoom {z} is outside 0–24"))
    }
}

/// A colour as CSS writes it: `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb(r,g,b)` or `rgba(r,g,b,a)`.
pub fn is_color(s: &str) -> bool {
    if let Some(hex) = s.strip_prefix('#') {
        return matches!(hex.len(), 3 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let (args, n) = if let Some(a) = s.strip_prefix("rgba(") {
        (a, 4)
    } else if let Some(a) = s.strip_prefix("rgb(") {
        (a, 3)
    } else {
        return false;
    };
    let Some(args) = args.strip_suffix(')') else {
        return false;
    };
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    parts.len() == n
        && parts
            .iter()
            .enumerate()
            .all(|(i, p)| match p.parse::<f64>() {
                Ok(v) if i < 3 => (0.0..=255.0).contains(&v),
                Ok(v) => (0.0..=1.0).contains(&v),
                Err(_) => false,
            })
}

/// The `[layers.draw]` table as written: every key optional (see [`Draw`] for each one's
/// meaning and default). `"none"` for `fill`, `outline` or `label` turns it off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawSpec {
    pub fill: Option<String>,
    pub fill_opacity: Option<f64>,
    pub outline: Option<String>,
    pub width: Option<Stops>,
    pub dash: Option<Vec<f64>>,
    pub radius: Option<Stops>,
    pub minzoom: Option<f64>,
    pub order: Option<f64>,
    pub label: Option<String>,
    pub label_minzoom: Option<f64>,
    pub label_size: Option<Stops>,
    pub label_color: Option<String>,
    pub label_halo: Option<String>,
    pub label_halo_width: Option<f64>,
    pub label_spacing: Option<f64>,
    pub label_order: Option<f64>,
    pub search: Option<bool>,
}

/// How a layer is drawn, complete: the manifest's `[layers.draw]` over the defaults of its
/// kind, geometry and role.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draw {
    /// Fill colour (polygons; a point's circle), `None` for outlines only. Default: the
    /// layer's `color`, none for `boundary` layers and lines.
    pub fill: Option<String>,
    /// Opacity of the fill, 0–1. Default: protected 0.55, development and zoning 0.35, the
    /// `neighbours` role 0.35, others 0.3; points 1. A fill of opacity 1 is a ground: it is
    /// drawn under every other layer (in `order`), so it never hides one.
    pub fill_opacity: f64,
    /// Outline colour (polygons), line colour (lines), circle stroke (points); `None`: no
    /// outline. Default: the layer's `color`; white around points.
    pub outline: Option<String>,
    /// Outline, line or circle-stroke width in pixels, or by zoom. Default: boundary 1.6,
    /// other polygons 0.8, lines 1.5, points 1.
    pub width: Stops,
    /// Dash pattern of the outline, in line widths (`[]`: solid). Default: solid.
    pub dash: Vec<f64>,
    /// Circle radius of a point layer in pixels, or by zoom. Default 4.
    pub radius: Stops,
    /// The layer is drawn from this zoom on. Default 0.
    pub minzoom: f64,
    /// Draw order, low first (equal: manifest order). Default: reference 0, development,
    /// zoning and ecology 1, protected 2, boundary 3, lines 4, points 5.
    pub order: f64,
    /// The attribute a feature is labelled with, `None`: no labels. Default `name` for points
    /// and for the `subdivisions`, `parks` and `neighbours` roles and development layers. A
    /// polygon is labelled once, inside its largest part.
    pub label: Option<String>,
    /// Labels from this zoom on. Default 0.
    pub label_minzoom: f64,
    /// Label size in pixels, or by zoom. Default 12.
    pub label_size: Stops,
    /// Default `#222222`.
    pub label_color: String,
    /// Halo around label text. Default `rgba(255,255,255,0.92)`.
    pub label_halo: String,
    /// Default 1.6 pixels.
    pub label_halo_width: f64,
    /// Letter spacing of labels in ems. Default 0.
    pub label_spacing: f64,
    /// Order of the labels among labels, low first; labels drawn later win where labels
    /// collide. Default: `order`.
    pub label_order: f64,
    /// Whether the map's search finds this layer's named features. Default: points and
    /// polygons, except the `county` role.
    pub search: bool,
}

impl Default for Draw {
    fn default() -> Self {
        Draw::defaults(LayerKind::Reference, GeometryKind::Polygon, None, "#808080")
    }
}

impl Draw {
    /// The defaults of a layer of this kind, geometry, role and colour.
    pub fn defaults(
        kind: LayerKind,
        geometry: GeometryKind,
        role: Option<Role>,
        color: &str,
    ) -> Draw {
        let color = Some(color.to_string());
        let (fill, fill_opacity, outline, width, order) = match geometry {
            GeometryKind::Polygon => {
                let opacity = match (role, kind) {
                    (Some(Role::Neighbours), _) => 0.35,
                    (_, LayerKind::Protected) => 0.55,
                    (_, LayerKind::Development | LayerKind::Zoning) => 0.35,
                    _ => 0.3,
                };
                let (fill, width) = match kind {
                    LayerKind::Boundary => (None, 1.6),
                    _ => (color.clone(), 0.8),
                };
                let order = match kind {
                    LayerKind::Reference => 0.0,
                    LayerKind::Protected => 2.0,
                    LayerKind::Boundary => 3.0,
                    _ => 1.0,
                };
                (fill, opacity, color, width, order)
            }
            GeometryKind::Line => (None, 0.0, color, 1.5, 4.0),
            GeometryKind::Point => (color, 1.0, Some("#ffffff".into()), 1.0, 5.0),
        };
        let labelled = geometry == GeometryKind::Point
            || kind == LayerKind::Development
            || matches!(
                role,
                Some(Role::Subdivisions | Role::Parks | Role::Neighbours)
            );
        Draw {
            fill,
            fill_opacity,
            outline,
            width: Stops::Fixed(width),
            dash: Vec::new(),
            radius: Stops::Fixed(4.0),
            minzoom: 0.0,
            order,
            label: labelled.then(|| "name".to_string()),
            label_minzoom: 0.0,
            label_size: Stops::Fixed(12.0),
            label_color: "#222222".into(),
            label_halo: "rgba(255,255,255,0.92)".into(),
            label_halo_width: 1.6,
            label_spacing: 0.0,
            label_order: order,
            search: geometry != GeometryKind::Line && role != Some(Role::County),
        }
    }

    /// These defaults with the manifest's `spec` over them; an error names the key at fault.
    pub fn resolve(mut self, spec: &DrawSpec) -> Result<Draw, String> {
        let colour = |key: &str, v: &String| -> Result<Option<String>, String> {
            match v.as_str() {
                "none" => Ok(None),
                c if is_color(c) => Ok(Some(c.to_string())),
                c => Err(format!(
                    "draw.{key}: '{c}' is not a colour (#rrggbb, rgba(…) or \"none\")"
                )),
            }
        };
        let number = |key: &str, v: f64, max: f64| {
            if v.is_finite() && (0.0..=max).contains(&v) {
                Ok(v)
            } else {
                Err(format!("draw.{key}: {v} is outside 0–{max}"))
            }
        };
        if let Some(v) = &spec.fill {
            self.fill = colour("fill", v)?;
        }
        if let Some(v) = &spec.outline {
            self.outline = colour("outline", v)?;
        }
        if let Some(v) = spec.fill_opacity {
            self.fill_opacity = number("fill_opacity", v, 1.0)?;
        }
        for (key, given, slot) in [
            ("width", &spec.width, &mut self.width),
            ("radius", &spec.radius, &mut self.radius),
            ("label_size", &spec.label_size, &mut self.label_size),
        ] {
            if let Some(v) = given {
                v.check(&format!("draw.{key}"))?;
                *slot = v.clone();
            }
        }
        if let Some(d) = &spec.dash {
            if d.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(format!("draw.dash: {d:?} must be numbers > 0"));
            }
            self.dash = d.clone();
        }
        if let Some(v) = spec.minzoom {
            check_zoom("draw.minzoom", v)?;
            self.minzoom = v;
        }
        if let Some(v) = spec.label_minzoom {
            check_zoom("draw.label_minzoom", v)?;
            self.label_minzoom = v;
        }
        let finite = |key: &str, v: f64| {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("draw.{key}: {v} is not a finite number"))
            }
        };
        if let Some(v) = spec.order {
            self.order = finite("order", v)?;
            self.label_order = v;
        }
        if let Some(v) = spec.label_order {
            self.label_order = finite("label_order", v)?;
        }
        if let Some(v) = &spec.label {
            self.label = match v.trim() {
                "none" => None,
                "" => return Err("draw.label: empty (an attribute name, or \"none\")".into()),
                a => Some(a.to_string()),
            };
        }
        for (key, given, slot) in [
            ("label_color", &spec.label_color, &mut self.label_color),
            ("label_halo", &spec.label_halo, &mut self.label_halo),
        ] {
            if let Some(v) = given {
                if !is_color(v) {
                    return Err(format!(
                        "draw.{key}: '{v}' is not a colour (#rrggbb or rgba(…))"
                    ));
                }
                *slot = v.clone();
            }
        }
        if let Some(v) = spec.label_halo_width {
            self.label_halo_width = number("label_halo_width", v, 100.0)?;
        }
        if let Some(v) = spec.label_spacing {
            self.label_spacing = number("label_spacing", v, 10.0)?;
        }
        if let Some(v) = spec.search {
            self.search = v;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_interpolate_linearly_and_hold_beyond() {
        let s = Stops::Zoom(vec![[8.0, 1.6], [13.0, 3.0]]);
        assert_eq!(s.at(5.0), 1.6);
        assert!((s.at(10.5) - 2.3).abs() < 1e-12); // halfway: (1.6 + 3) / 2
        assert_eq!(s.at(20.0), 3.0);
        assert_eq!(Stops::Fixed(0.8).at(3.0), 0.8);
    }

    #[test]
    fn colours_as_css_writes_them() {
        for ok in [
            "#e60000",
            "#000",
            "#ffffffee",
            "rgba(255,255,255,0.92)",
            "rgb(0, 10, 255)",
        ] {
            assert!(is_color(ok), "{ok}");
        }
        for bad in [
            "red",
            "#ggg000",
            "#12345",
            "rgba(255,255,255)",
            "rgb(300,0,0)",
            "rgba(0,0,0,2)",
        ] {
            assert!(!is_color(bad), "{bad}");
        }
    }

    #[test]
    fn the_manifest_overrides_the_defaults_and_bad_values_are_named() {
        let base = Draw::defaults(
            LayerKind::Boundary,
            GeometryKind::Polygon,
            Some(Role::County),
            "#333333",
        );
        assert_eq!(base.fill, None);
        assert_eq!(base.outline.as_deref(), Some("#333333"));
        assert!(!base.search);
        let spec = DrawSpec {
            fill: Some("#fbfaf6".into()),
            fill_opacity: Some(1.0),
            dash: Some(vec![5.0, 1.5]),
            order: Some(3.0),
            ..DrawSpec::default()
        };
        let d = base.clone().resolve(&spec).unwrap();
        assert_eq!(d.fill.as_deref(), Some("#fbfaf6"));
        assert_eq!((d.fill_opacity, d.order, d.label_order), (1.0, 3.0, 3.0));
        let bad = DrawSpec {
            outline: Some("blue".into()),
            ..DrawSpec::default()
        };
        assert!(base
            .clone()
            .resolve(&bad)
            .unwrap_err()
            .contains("draw.outline"));
        let bad = DrawSpec {
            width: Some(Stops::Zoom(vec![[13.0, 1.0], [8.0, 2.0]])),
            ..DrawSpec::default()
        };
        assert!(base.resolve(&bad).unwrap_err().contains("increase"));
    }
}
