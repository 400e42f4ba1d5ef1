//! What a report map draws: layers of shapes, a style (colours and order from the plan's
//! manifest), and the one MVT tile maplibre-rs is fed, encoded with planmap-io's MVT encoder.
//!
//! maplibre-rs 0.0.3 draws fills and 1-unit hairlines only, without opacity, so line layers are
//! stroked here into thin quads of the wanted pixel width, and washes are blended into opaque
//! colours over the background.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon, Winding};
use geozero::mvt::{tile, Message, Tile};
use geozero::ToMvt;
use planmap_core::plan::GeometryKind;
use planmap_core::{Plan, Shape};
use planmap_io::mvt::{shape_geometry, EXTENT};

use crate::frame::Frame;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// How a layer is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paint {
    /// Polygons filled.
    Fill,
    /// Lines, and polygon outlines, stroked this many pixels wide.
    Line { width_px: f64 },
}

/// One drawn layer of the style: the [`MapLayer`] it draws (`source`), colour and paint.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerStyle {
    pub source: String,
    pub color: Rgb,
    pub paint: Paint,
}

/// A map style: the background and the layers, bottom to top.
#[derive(Debug, Clone, PartialEq)]
pub struct MapStyle {
    pub background: Rgb,
    pub layers: Vec<LayerStyle>,
}

/// Shapes to draw under one name (lon/lat).
#[derive(Debug, Clone)]
pub struct MapLayer {
    pub id: String,
    pub shapes: Vec<Shape>,
}

/// The background of report maps (the web map's).
pub const BACKGROUND: Rgb = [0xf6, 0xf5, 0xf0];
/// The site's outline (the web's check overlay) and its white casing.
pub const SITE_COLOR: Rgb = [0x0d, 0x47, 0xa1];
pub const CASING_COLOR: Rgb = [0xff, 0xff, 0xff];

/// `#rrggbb` (or `#rgb`) as RGB; grey when the manifest holds something else.
pub fn parse_color(s: &str) -> Rgb {
    let h = s.trim().trim_start_matches('#');
    let hex = |t: &str| u8::from_str_radix(t, 16).ok();
    let v = match h.len() {
        6 => (0..3)
            .map(|i| hex(&h[2 * i..2 * i + 2]))
            .collect::<Option<Vec<_>>>(),
        3 => (0..3)
            .map(|i| hex(&h[i..i + 1]).map(|d| d * 17))
            .collect::<Option<Vec<_>>>(),
        _ => None,
    };
    v.map(|v| [v[0], v[1], v[2]]).unwrap_or([0x80; 3])
}

/// `c` at `opacity` over `under`, as one opaque colour.
pub fn blend(c: Rgb, opacity: f64, under: Rgb) -> Rgb {
    let mix = |a: u8, b: u8| (a as f64 * opacity + b as f64 * (1.0 - opacity)).round() as u8;
    [
        mix(c[0], under[0]),
        mix(c[1], under[1]),
        mix(c[2], under[2]),
    ]
}

/// The report style from the plan's layers as they are drawn (their `draw`): every polygon
/// fill as a wash of its opacity blended over the background (fills of opacity 1, the
/// grounds, first), then outlines and lines, each group in draw order (manifest order where
/// equal); then the overlap pieces (`pieces-{layer}` in the layer's full colour) and the site
/// (`site`, cased outline). Widths by zoom are taken at their lowest stop (report maps show a
/// site or a county, not a street); dashes are drawn solid and points (labels) not at all:
/// maplibre-rs draws neither.
pub fn report_style(plan: &Plan) -> MapStyle {
    let mut fills = Vec::new();
    let mut lines = Vec::new();
    let mut pieces = Vec::new();
    for (i, def) in plan.layers.iter().enumerate() {
        let d = &def.draw;
        match def.geometry {
            GeometryKind::Polygon => {
                if let Some(fill) = d.fill.as_deref().filter(|_| d.fill_opacity > 0.0) {
                    let style = LayerStyle {
                        source: def.id.clone(),
                        color: blend(parse_color(fill), d.fill_opacity, BACKGROUND),
                        paint: Paint::Fill,
                    };
                    fills.push(((d.fill_opacity < 1.0, d.order, i), style));
                }
                pieces.push(def.id.clone());
            }
            GeometryKind::Line => {}
            GeometryKind::Point => continue,
        }
        if let Some(outline) = &d.outline {
            let style = LayerStyle {
                source: def.id.clone(),
                color: parse_color(outline),
                paint: Paint::Line {
                    width_px: d.width.at(0.0),
                },
            };
            lines.push(((false, d.order, i), style));
        }
    }
    let by_order = |a: &((bool, f64, usize), LayerStyle), b: &((bool, f64, usize), LayerStyle)| {
        let ((ga, oa, ia), (gb, ob, ib)) = (a.0, b.0);
        ga.cmp(&gb).then(oa.total_cmp(&ob)).then(ia.cmp(&ib))
    };
    fills.sort_by(by_order);
    lines.sort_by(by_order);
    let mut layers: Vec<LayerStyle> = fills.into_iter().chain(lines).map(|l| l.1).collect();
    for id in &pieces {
        let color = plan
            .layer(id)
            .map(|d| parse_color(&d.color))
            .unwrap_or([0x80; 3]);
        layers.push(LayerStyle {
            source: format!("pieces-{id}"),
            color,
            paint: Paint::Fill,
        });
    }
    layers.push(LayerStyle {
        source: "site".into(),
        color: CASING_COLOR,
        paint: Paint::Line { width_px: 6.0 },
    });
    layers.push(LayerStyle {
        source: "site".into(),
        color: SITE_COLOR,
        paint: Paint::Line { width_px: 2.5 },
    });
    MapStyle {
        background: BACKGROUND,
        layers,
    }
}

/// The name under which a style layer's geometry goes into the tile: one MVT layer per style
/// layer (maplibre-rs takes one style layer per source layer).
pub fn tile_layer_name(i: usize) -> String {
    format!("l{i}")
}

/// Polygons' rings as lines, for stroking outlines.
fn outline(shape: &Shape) -> Option<Shape> {
    match shape {
        Shape::Polygon(mp) => Some(Shape::Line(MultiLineString(
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .cloned()
                .collect(),
        ))),
        Shape::Line(_) => Some(shape.clone()),
        Shape::Point(_) => None,
    }
}

/// A quad `w` tile units wide along segment `a`–`b`, extended by `w/2` at both ends so strokes
/// join; wound as an MVT exterior ring.
fn quad(a: Coord<f64>, b: Coord<f64>, w: f64) -> Option<Polygon<f64>> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = dx.hypot(dy);
    if len == 0.0 {
        return None;
    }
    let (ux, uy) = (dx / len * w / 2.0, dy / len * w / 2.0);
    let (nx, ny) = (-uy, ux);
    let (a, b) = (
        Coord {
            x: a.x - ux,
            y: a.y - uy,
        },
        Coord {
            x: b.x + ux,
            y: b.y + uy,
        },
    );
    let mut ring = LineString(vec![
        Coord {
            x: a.x + nx,
            y: a.y + ny,
        },
        Coord {
            x: b.x + nx,
            y: b.y + ny,
        },
        Coord {
            x: b.x - nx,
            y: b.y - ny,
        },
        Coord {
            x: a.x - nx,
            y: a.y - ny,
        },
    ]);
    ring.close();
    ring.make_ccw_winding();
    Some(Polygon::new(ring, vec![]))
}

/// Features of one style layer in tile units.
fn layer_features(
    frame: &Frame,
    style: &LayerStyle,
    layer: &MapLayer,
    size: u32,
) -> Vec<tile::Feature> {
    let units_per_px = EXTENT as f64 / size as f64;
    let mut out = Vec::new();
    for shape in &layer.shapes {
        let geoms: Vec<Geometry<f64>> = match style.paint {
            Paint::Fill => match shape {
                Shape::Polygon(_) => shape_geometry(frame, shape).into_iter().collect(),
                _ => Vec::new(),
            },
            Paint::Line { width_px } => {
                let Some(Geometry::MultiLineString(ml)) =
                    outline(shape).and_then(|s| shape_geometry(frame, &s))
                else {
                    continue;
                };
                let w = (width_px * units_per_px).max(1.0);
                // One feature a line, so quads overlapping at joints add up, never cancel.
                ml.0.iter()
                    .map(|l| {
                        Geometry::MultiPolygon(MultiPolygon(
                            l.lines().filter_map(|s| quad(s.start, s.end, w)).collect(),
                        ))
                    })
                    .collect()
            }
        };
        out.extend(geoms.iter().filter_map(|g| g.to_mvt_unscaled().ok()));
    }
    out
}

/// The whole-frame square behind everything, in the background colour.
fn background_feature() -> Option<tile::Feature> {
    let e = EXTENT as f64;
    let sq = Polygon::new(
        LineString::from(vec![(0.0, 0.0), (0.0, e), (e, e), (e, 0.0), (0.0, 0.0)]),
        vec![],
    );
    let mut sq = sq;
    sq.exterior_mut(|r| r.make_ccw_winding());
    Geometry::Polygon(sq).to_mvt_unscaled().ok()
}

/// Name of the background's tile layer.
pub const BACKGROUND_LAYER: &str = "background";

/// The MVT tile of a scene: the background square, then one tile layer per style layer
/// ([`tile_layer_name`]) holding its map layer's shapes. Returns the tile and the names of
/// the tile layers that hold anything, bottom to top, with their colours.
pub fn encode_scene(
    frame: &Frame,
    layers: &[MapLayer],
    style: &MapStyle,
    size: u32,
) -> (Vec<u8>, Vec<(String, Rgb)>) {
    let mut tile_layers = Vec::new();
    let mut drawn = Vec::new();
    let mut push = |name: String, color: Rgb, features: Vec<tile::Feature>| {
        if features.is_empty() {
            return;
        }
        tile_layers.push(tile::Layer {
            version: 2,
            name: name.clone(),
            features,
            keys: Vec::new(),
            values: Vec::new(),
            extent: Some(EXTENT),
        });
        drawn.push((name, color));
    };
    push(
        BACKGROUND_LAYER.into(),
        style.background,
        background_feature().into_iter().collect(),
    );
    for (i, ls) in style.layers.iter().enumerate() {
        let features: Vec<tile::Feature> = layers
            .iter()
            .filter(|l| l.id == ls.source)
            .flat_map(|l| layer_features(frame, ls, l, size))
            .collect();
        push(tile_layer_name(i), ls.color, features);
    }
    (
        Tile {
            layers: tile_layers,
        }
        .encode_to_vec(),
        drawn,
    )
}
