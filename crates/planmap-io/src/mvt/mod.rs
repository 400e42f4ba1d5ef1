//! One layer's Mapbox Vector Tile: features projected to Web Mercator tile units, clipped to
//! the tile with a buffer, simplified for the zoom, snapped to the integer grid and encoded
//! with geozero's MVT writer. The projection is a [`Projector`]: a tile of the slippy-map
//! grid ([`TileId`]) for the server's tiles, or any square frame (planmap-render's report maps).

use geo::{
    Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon, Rect, Simplify, Winding,
};
use geozero::mvt::{tile, Message, TagsBuilder, Tile, TileValue};
use geozero::ToMvt;
use planmap_core::{Engine, Feature, Shape};
use serde_json::Value;

pub mod clip;
pub mod world;

use clip::{clip_line, Square};
use planmap_core::clip::clip_ring;

/// Tile units across a tile.
pub const EXTENT: u32 = 4096;
/// Tile units kept beyond each edge, so strokes and labels meet across tiles.
pub const BUFFER: f64 = 64.0;
/// The deepest zoom a tile may be asked for.
pub const MAX_ZOOM: u8 = 22;
/// Web Mercator's latitude limit.
const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Web Mercator world coordinates of a lon/lat position: x and y in 0..1, y down.
pub fn world(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: world_x(c.x),
        y: world_y(c.y),
    }
}

/// Web Mercator world x of a longitude (0..1).
fn world_x(lon: f64) -> f64 {
    (lon + 180.0) / 360.0
}

/// Web Mercator world y of a latitude (0..1, down): the costly half of [`world`].
fn world_y(lat: f64) -> f64 {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0
}

/// Where features go: lon/lat to tile units (0..EXTENT across the frame, y down), and the
/// Douglas–Peucker tolerance in tile units.
pub trait Projector {
    fn project(&self, c: Coord<f64>) -> Coord<f64>;
    fn tolerance(&self) -> f64;
}

impl Projector for TileId {
    fn project(&self, c: Coord<f64>) -> Coord<f64> {
        TileId::project(self, c)
    }
    fn tolerance(&self) -> f64 {
        simplify_tolerance(self.z)
    }
}

/// A tile address that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("zoom {0} is out of range 0..{MAX_ZOOM}")]
    Zoom(u32),
    #[error("tile {z}/{x}/{y} does not exist: at zoom {z}, x and y run from 0 to {}", (1u32 << z) - 1)]
    Outside { z: u32, x: u32, y: u32 },
}

impl From<TileError> for String {
    fn from(e: TileError) -> String {
        e.to_string()
    }
}

/// A tile address, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// Checks `z ≤ MAX_ZOOM` and `x, y < 2^z`.
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > MAX_ZOOM as u32 {
            return Err(TileError::Zoom(z));
        }
        let n = 1u32 << z;
        if x >= n || y >= n {
            return Err(TileError::Outside { z, x, y });
        }
        Ok(TileId { z: z as u8, x, y })
    }

    fn n(&self) -> f64 {
        (1u64 << self.z) as f64
    }

    /// Tile units of a lon/lat position.
    pub fn project(&self, c: Coord<f64>) -> Coord<f64> {
        let w = world(c);
        let e = EXTENT as f64;
        Coord {
            x: (w.x * self.n() - self.x as f64) * e,
            y: (w.y * self.n() - self.y as f64) * e,
        }
    }

    /// The lon/lat box of the tile grown by `units` tile units on each side.
    pub fn lonlat_bounds(&self, units: f64) -> Rect<f64> {
        let n = self.n();
        let g = units / EXTENT as f64;
        let lon = |tx: f64| tx / n * 360.0 - 180.0;
        let lat = |ty: f64| {
            (std::f64::consts::PI * (1.0 - 2.0 * ty / n))
                .sinh()
                .atan()
                .to_degrees()
        };
        let (x, y) = (self.x as f64, self.y as f64);
        Rect::new(
            Coord {
                x: lon(x - g),
                y: lat(y + 1.0 + g),
            },
            Coord {
                x: lon(x + 1.0 + g),
                y: lat(y - g),
            },
        )
    }
}

/// Douglas–Peucker tolerance in tile units: coarser when zoomed out, where one unit covers
/// more ground and detail below a pixel is invisible.
pub fn simplify_tolerance(z: u8) -> f64 {
    match z {
        0..=9 => 4.0,
        10..=13 => 2.0,
        _ => 1.0,
    }
}

const SQUARE: Square = Square {
    min: -BUFFER,
    max: EXTENT as f64 + BUFFER,
};

/// Coordinates rounded to the tile grid, repeats dropped (in place).
fn snap(mut coords: Vec<Coord<f64>>) -> Vec<Coord<f64>> {
    for c in &mut coords {
        c.x = c.x.round();
        c.y = c.y.round();
    }
    coords.dedup();
    coords
}

/// Twice the planar signed area of a closed ring.
fn twice_signed_area(r: &[Coord<f64>]) -> f64 {
    r.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum()
}

/// A closed ring snapped to the grid, in MVT winding; `None` when it encloses no area.
fn finish_ring(coords: Vec<Coord<f64>>, exterior: bool) -> Option<LineString<f64>> {
    let mut snapped = LineString(snap(coords));
    if snapped.0.len() < 4 || snapped.0.first() != snapped.0.last() {
        return None;
    }
    if twice_signed_area(&snapped.0).abs() < 1.0 {
        return None;
    }
    // MVT: exterior rings have positive surveyor's-formula area in tile coordinates (y down),
    // which is geo's counter-clockwise; holes the opposite.
    if exterior {
        snapped.make_ccw_winding();
    } else {
        snapped.make_cw_winding();
    }
    Some(snapped)
}

/// A feature's vertices in tile units, a ring (or line) at a time. `first` is the index of its
/// first vertex among the feature's vertices, counted exterior then holes, polygon by polygon
/// (line by line), as [`world::WorldLayer`] stores them.
trait Vertices {
    fn tolerance(&self) -> f64;
    fn project(&self, first: usize, coords: &[Coord<f64>]) -> Vec<Coord<f64>>;
}

/// Lon/lat vertices projected one by one.
struct LonLat<'a, P>(&'a P);

impl<P: Projector> Vertices for LonLat<'_, P> {
    fn tolerance(&self) -> f64 {
        self.0.tolerance()
    }
    fn project(&self, _first: usize, coords: &[Coord<f64>]) -> Vec<Coord<f64>> {
        coords.iter().map(|c| self.0.project(*c)).collect()
    }
}

/// A ring in tile units, clipped, simplified and snapped; `None` when it encloses nothing.
/// A small ring that simplification would collapse is kept unsimplified, so small patches
/// (farmland 图斑) stay on the map as long as they cover any area at the zoom.
fn ring(
    v: &impl Vertices,
    first: usize,
    r: &LineString<f64>,
    exterior: bool,
) -> Option<LineString<f64>> {
    let projected = v.project(first, &r.0);
    let clipped = clip_ring(&projected, &SQUARE.rect());
    if clipped.len() < 4 {
        return None;
    }
    let clipped = LineString(clipped);
    let simple = clipped.simplify(v.tolerance());
    finish_ring(simple.0, exterior).or_else(|| finish_ring(clipped.0, exterior))
}

fn polygons(v: &impl Vertices, mp: &MultiPolygon<f64>) -> Option<geo::Geometry<f64>> {
    let mut first = 0;
    let mut polys = Vec::new();
    for p in &mp.0 {
        let ext = ring(v, first, p.exterior(), true);
        first += p.exterior().0.len();
        let mut holes = Vec::new();
        for h in p.interiors() {
            if ext.is_some() {
                holes.extend(ring(v, first, h, false));
            }
            first += h.0.len();
        }
        if let Some(ext) = ext {
            polys.push(Polygon::new(ext, holes));
        }
    }
    (!polys.is_empty()).then_some(geo::Geometry::MultiPolygon(MultiPolygon(polys)))
}

fn lines(v: &impl Vertices, ml: &MultiLineString<f64>) -> Option<geo::Geometry<f64>> {
    let mut first = 0;
    let mut parts = Vec::new();
    for l in &ml.0 {
        let projected = LineString(v.project(first, &l.0));
        first += l.0.len();
        parts.extend(
            clip_line(&projected, SQUARE)
                .into_iter()
                .map(|l| LineString(snap(l.simplify(v.tolerance()).0)))
                .filter(|l| l.0.len() >= 2),
        );
    }
    (!parts.is_empty()).then_some(geo::Geometry::MultiLineString(MultiLineString(parts)))
}

fn point(v: &impl Vertices, p: &Point<f64>) -> Option<geo::Geometry<f64>> {
    let c = v.project(0, &[p.0])[0];
    let inside =
        (SQUARE.min..=SQUARE.max).contains(&c.x) && (SQUARE.min..=SQUARE.max).contains(&c.y);
    inside.then(|| {
        geo::Geometry::Point(Point(Coord {
            x: c.x.round(),
            y: c.y.round(),
        }))
    })
}

/// A shape in tile units: clipped to the frame plus [`BUFFER`], simplified, snapped and wound
/// for MVT; `None` when nothing of it reaches the frame.
pub fn shape_geometry(t: &impl Projector, shape: &Shape) -> Option<geo::Geometry<f64>> {
    vertices_geometry(&LonLat(t), shape)
}

/// [`shape_geometry`] with the vertices from `v`.
fn vertices_geometry(v: &impl Vertices, shape: &Shape) -> Option<geo::Geometry<f64>> {
    match shape {
        Shape::Polygon(mp) => polygons(v, mp),
        Shape::Line(ml) => lines(v, ml),
        Shape::Point(p) => point(v, p),
    }
}

/// A property value as an MVT value; nested values are written as JSON text, nulls skipped.
fn tile_value(v: &Value) -> Option<TileValue> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => TileValue::Bool(*b),
        Value::String(s) => TileValue::Str(s.clone()),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => TileValue::Sint(i),
            (_, Some(u), _) => TileValue::Uint(u),
            (_, _, Some(f)) => TileValue::Double(f),
            _ => return None,
        },
        other => TileValue::Str(other.to_string()),
    })
}

/// From this zoom on, features carry their id (`fid`) and every attribute. Below it only the
/// `name` of layers small enough to be labelled: pop-ups ask `/api/identify`, and 24 000
/// farmland patches' attributes would triple the county-wide tiles.
pub const ATTRIBUTE_ZOOM: u8 = 12;
/// Layers with at most this many features keep `name` at every zoom (labels).
const LABELLED_MAX: usize = 1000;

fn encode_feature(
    v: &impl Vertices,
    z: u8,
    (index, layer_len): (usize, usize),
    f: &Feature,
    tags: &mut TagsBuilder,
) -> Option<tile::Feature> {
    let geom = vertices_geometry(v, &f.shape)?;
    let mut out = geom.to_mvt_unscaled().ok()?;
    out.id = Some(index as u64);
    if z >= ATTRIBUTE_ZOOM {
        let (k, v) = tags.insert_ref("fid", TileValue::Str(f.id.clone()));
        out.tags.extend([k, v]);
    }
    // Attributes are kept as text: read them all from ATTRIBUTE_ZOOM on, else at most `name`.
    let attributes: Vec<(String, Value)> = if z >= ATTRIBUTE_ZOOM {
        f.properties.to_map().into_iter().collect()
    } else if layer_len <= LABELLED_MAX {
        f.properties
            .get("name")
            .map(|v| ("name".to_string(), v))
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    for (key, value) in &attributes {
        if key == "fid" {
            continue;
        }
        if let Some(tv) = tile_value(value) {
            let (k, v) = tags.insert_ref(key, tv);
            out.tags.extend([k, v]);
        }
    }
    Some(out)
}

/// The tile of one layer, encoded; empty when no feature of the layer reaches the tile.
pub fn encode(engine: &Engine, layer: usize, t: TileId) -> Vec<u8> {
    encode_with(engine, layer, t, |_| LonLat(&t))
}

/// The tile of one layer with each feature's vertices from `vertices(feature index)`.
fn encode_with<V: Vertices>(
    engine: &Engine,
    layer: usize,
    t: TileId,
    vertices: impl Fn(usize) -> V,
) -> Vec<u8> {
    let l = &engine.layers[layer];
    let window = t.lonlat_bounds(BUFFER);
    let mut tags = TagsBuilder::new();
    let features: Vec<tile::Feature> = engine
        .candidates(layer, &window)
        .into_iter()
        .filter_map(|fi| {
            let f = &l.features[fi];
            encode_feature(&vertices(fi), t.z, (fi, l.features.len()), f, &mut tags)
        })
        .collect();
    if features.is_empty() {
        return Vec::new();
    }
    let (keys, values) = tags.into_tags();
    Tile {
        layers: vec![tile::Layer {
            version: 2,
            name: l.def.id.clone(),
            features,
            keys,
            values: values.into_iter().map(Into::into).collect(),
            extent: Some(EXTENT),
        }],
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::world::{encode_world, WorldLayer};
    use super::*;

    /// Tiles from world coordinates projected once are the same bytes as tiles projected
    /// from lon/lat, on the built-in data's farmland (many patches) and townships (big ones).
    #[test]
    fn world_layer_tiles_are_the_same_bytes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wenshui");
        let engine = Engine::load(&crate::PlanDir::open(dir).unwrap()).unwrap();
        let mut nonempty = 0;
        for id in ["farmland", "townships", "rivers"] {
            let li = engine.layer_index(id).unwrap();
            let world = WorldLayer::new(&engine.layers[li].features);
            for z in [8u32, 10, 12, 14, 16] {
                let n = (1u64 << z) as f64;
                let (lon, lat): (f64, f64) = (112.03, 37.43);
                let x = ((lon + 180.0) / 360.0 * n) as u32;
                let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n)
                    as u32;
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (2, 3)] {
                    let t = TileId::new(z, x + dx, y + dy).unwrap();
                    let a = encode(&engine, li, t);
                    assert_eq!(a, encode_world(&engine, li, t, &world), "{id} {t:?}");
                    nonempty += usize::from(!a.is_empty());
                }
            }
        }
        assert!(nonempty > 20, "{nonempty}");
    }

    #[test]
    fn tile_addresses_are_checked() {
        assert!(TileId::new(0, 0, 0).is_ok());
        assert!(TileId::new(1, 2, 0).is_err());
        assert!(TileId::new(23, 0, 0).is_err());
        assert!(TileId::new(22, (1 << 22) - 1, 0).is_ok());
    }

    #[test]
    fn projection_matches_the_tile_scheme() {
        // Wenshui's county seat (112.03°E, 37.43°N) lies in z12 tile 3322/1588 (slippy-map
        // formula: x = floor((lon+180)/360·2^z), y = floor((1 − asinh(tan φ)/π)/2·2^z)).
        let lon: f64 = 112.03;
        let lat: f64 = 37.43;
        let n = 4096.0;
        let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
        let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor()
            as u32;
        assert_eq!((x, y), (3322, 1588));
        let t = TileId::new(12, x, y).unwrap();
        let c = t.project(Coord { x: lon, y: lat });
        assert!((0.0..EXTENT as f64).contains(&c.x) && (0.0..EXTENT as f64).contains(&c.y));
        let b = t.lonlat_bounds(0.0);
        assert!(b.min().x < lon && lon < b.max().x && b.min().y < lat && lat < b.max().y);
        // The corners project to 0 and EXTENT.
        let nw = t.project(Coord {
            x: b.min().x,
            y: b.max().y,
        });
        assert!(nw.x.abs() < 1e-6 && nw.y.abs() < 1e-6, "{nw:?}");
    }

    #[test]
    fn small_patches_survive_simplification_until_they_cover_no_area() {
        // A ~100 m square patch: 3–4 tile units across at z8, where the 4-unit tolerance
        // would collapse it; it must stay, wound for MVT (positive area in tile units).
        let (lon, lat) = (112.1, 37.4);
        let d = 0.0011;
        let sq = LineString::from(vec![
            (lon, lat),
            (lon + d, lat),
            (lon + d, lat + d),
            (lon, lat + d),
            (lon, lat),
        ]);
        let tile_at = |z: u32| {
            let n = (1u64 << z) as f64;
            let x = ((lon + 180.0) / 360.0 * n) as u32;
            let y =
                ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32;
            TileId::new(z, x, y).unwrap()
        };
        let r = ring(&LonLat(&tile_at(8)), 0, &sq, true).expect("kept at z8");
        assert!(geo::Area::signed_area(&Polygon::new(r, vec![])) > 0.0);
        // At z3 it is a twentieth of a unit: nothing to draw.
        assert!(ring(&LonLat(&tile_at(3)), 0, &sq, true).is_none());
    }
}
