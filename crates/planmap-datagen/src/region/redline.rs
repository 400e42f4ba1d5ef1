//! 生态保护红线: the high ground (the terrain's top share: mountain patches, with the valleys
//! inside them left out) and a strip along the river (河湖岸线), clear of towns and parks, cut
//! into one patch set per township (5 m inside its boundary).

use super::terrain::Terrain;
use crate::geom;
use crate::rng::value_noise;
use geo::{Area, BooleanOps, Buffer, InteriorPoint, MultiPolygon, Polygon};

pub struct RedPatch {
    pub township: usize,
    pub kind: &'static str,
    /// A name part before the kind (e.g. 湿地), or empty.
    pub what: &'static str,
    pub area: Polygon,
}

/// What the red line is drawn from.
pub struct Input<'a> {
    pub county: &'a MultiPolygon,
    pub cells: &'a [Polygon],
    pub terrain: &'a Terrain,
    /// Ground above this height is red line.
    pub level: f64,
    /// The river strip (already clipped to the county).
    pub strip: &'a MultiPolygon,
    /// Towns and parks with their margins.
    pub keep_out: &'a MultiPolygon,
}

pub fn build(inp: &Input, seed: u64) -> Vec<RedPatch> {
    let high = inp.terrain.above(inp.level).intersection(inp.county);
    let all = geom::drop_small(
        high.union(inp.strip).difference(inp.keep_out),
        250_000.0,
        50_000.0,
    );
    let mut out = Vec::new();
    for (s, cell) in inp.cells.iter().enumerate() {
        let parts = geom::drop_small(all.intersection(&cell.buffer(-5.0)), 50_000.0, 20_000.0);
        let mut parts: Vec<(f64, Polygon)> = parts
            .0
            .into_iter()
            .map(|p| {
                let x = p.interior_point().map_or(0.0, |q| q.x());
                (x, p)
            })
            .collect();
        parts.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, p) in parts {
            let Some(ip) = p.interior_point() else {
                continue;
            };
            let river = geom::mp(p.clone()).intersection(inp.strip).unsigned_area();
            let kind = if river > 0.5 * p.unsigned_area() {
                "河湖岸线"
            } else {
                match value_noise(seed, ip.x(), ip.y(), 9000.0) {
                    n if n < 0.4 => "水源涵养",
                    n if n < 0.75 => "水土保持",
                    _ => "生物多样性维护",
                }
            };
            out.push(RedPatch {
                township: s,
                kind,
                what: "",
                area: p,
            });
        }
    }
    out
}
