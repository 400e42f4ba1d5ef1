//! The twelve townships as an exact partition of the county.
//!
//! Voronoi cells of hand-placed seeds (in the metric frame) give the rough shape; their edges
//! are made gently wavy, then cut against the county ring in one planar arrangement: every
//! crossing point is computed once and inserted into both the township edge and the county
//! ring, and the faces are traced from that single graph. So neighbouring townships share
//! their boundary vertex for vertex, and the townships share the county's own ring vertex
//! for vertex: after rounding to the grid there are still no gaps and no overlaps.

use crate::geom::{in_ring, polygon, seg_intersection, signed_area};
use crate::rng::Rng;
use geo::{Coord, InteriorPoint};
use std::collections::{BTreeMap, BTreeSet};

pub struct Partition {
    /// The county ring (open, counter-clockwise) with the crossing points inserted.
    pub county: Vec<Coord>,
    /// One open counter-clockwise ring per seed, in seed order.
    pub cells: Vec<Vec<Coord>>,
}

/// Keeps the part of a convex polygon on the side of the bisector nearer `si`.
fn clip_to_seed(poly: &[Coord], si: Coord, sj: Coord) -> Vec<Coord> {
    let m = (si + sj) * 0.5;
    let n = sj - si;
    let side = |p: Coord| (p.x - m.x) * n.x + (p.y - m.y) * n.y;
    let mut out = Vec::new();
    for k in 0..poly.len() {
        let (a, b) = (poly[k], poly[(k + 1) % poly.len()]);
        let (da, db) = (side(a), side(b));
        if da <= 0.0 {
            out.push(a);
        }
        if (da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0) {
            out.push(a + (b - a) * (da / (da - db)));
        }
    }
    out
}

/// A gently wavy polyline from a to b (ends fixed, tapered, deterministic).
fn wavy(a: Coord, b: Coord, rng: &mut Rng) -> Vec<Coord> {
    let d = b - a;
    let len = (d.x * d.x + d.y * d.y).sqrt();
    let n = ((len / 350.0).round() as usize).max(1);
    if len < 300.0 {
        return vec![a, b];
    }
    let normal = Coord {
        x: -d.y / len,
        y: d.x / len,
    };
    let amp = (0.03 * len).min(220.0);
    let ph: Vec<f64> = (0..3)
        .map(|_| rng.range(0.0, std::f64::consts::TAU))
        .collect();
    let mut pts = vec![a];
    for k in 1..n {
        let t = k as f64 / n as f64;
        let taper = (std::f64::consts::PI * t).sin();
        let g = (t * 5.0 + ph[0]).sin() * 0.55
            + (t * 11.0 + ph[1]).sin() * 0.3
            + (t * 23.0 + ph[2]).sin() * 0.15;
        pts.push(a + d * t + normal * (amp * taper * g));
    }
    pts.push(b);
    pts
}

fn key(c: Coord) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

/// Faces (half-edge cycles), the face of each half-edge, each face's township (None for
/// the outer face) and signed area.
type Labelled = (Vec<Vec<usize>>, Vec<usize>, Vec<Option<usize>>, Vec<f64>);

struct Graph {
    nodes: Vec<Coord>,
    edges: Vec<(usize, usize)>,
}

impl Graph {
    fn new(segments: &[(Coord, Coord)]) -> Graph {
        let mut ids: BTreeMap<(u64, u64), usize> = BTreeMap::new();
        let mut nodes = Vec::new();
        let mut set = BTreeSet::new();
        let mut id = |c: Coord, nodes: &mut Vec<Coord>| {
            *ids.entry(key(c)).or_insert_with(|| {
                nodes.push(c);
                nodes.len() - 1
            })
        };
        for &(a, b) in segments {
            let (i, j) = (id(a, &mut nodes), id(b, &mut nodes));
            if i != j {
                set.insert((i.min(j), i.max(j)));
            }
        }
        Graph {
            nodes,
            edges: set.into_iter().collect(),
        }
    }

    /// Removes dangling edges (degree-1 ends) until none are left.
    fn prune(&mut self) {
        loop {
            let mut deg = vec![0usize; self.nodes.len()];
            for &(a, b) in &self.edges {
                deg[a] += 1;
                deg[b] += 1;
            }
            let before = self.edges.len();
            self.edges.retain(|&(a, b)| deg[a] > 1 && deg[b] > 1);
            if self.edges.len() == before {
                return;
            }
        }
    }

    /// Traces faces: returns (faces as half-edge lists, face of each half-edge).
    /// Half-edge 2e goes a→b of edge e, 2e+1 goes b→a; faces lie left of their half-edges.
    fn faces(&self) -> (Vec<Vec<usize>>, Vec<usize>) {
        let origin = |h: usize| {
            if h.is_multiple_of(2) {
                self.edges[h / 2].0
            } else {
                self.edges[h / 2].1
            }
        };
        let dest = |h: usize| origin(h ^ 1);
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for h in 0..self.edges.len() * 2 {
            out[origin(h)].push(h);
        }
        let angle = |h: usize| {
            let d = self.nodes[dest(h)] - self.nodes[origin(h)];
            d.y.atan2(d.x)
        };
        for list in &mut out {
            list.sort_by(|&a, &b| angle(a).total_cmp(&angle(b)));
        }
        let mut pos = vec![0usize; self.edges.len() * 2];
        for list in &out {
            for (k, &h) in list.iter().enumerate() {
                pos[h] = k;
            }
        }
        let next = |h: usize| {
            let twin = h ^ 1;
            let list = &out[origin(twin)];
            list[(pos[twin] + list.len() - 1) % list.len()]
        };
        let mut face_of = vec![usize::MAX; self.edges.len() * 2];
        let mut faces = Vec::new();
        for start in 0..self.edges.len() * 2 {
            if face_of[start] != usize::MAX {
                continue;
            }
            let mut cycle = Vec::new();
            let mut h = start;
            loop {
                face_of[h] = faces.len();
                cycle.push(h);
                h = next(h);
                if h == start {
                    break;
                }
                assert!(
                    cycle.len() <= 4 * self.edges.len(),
                    "face tracing did not close"
                );
            }
            faces.push(cycle);
        }
        (faces, face_of)
    }

    fn ring(&self, face: &[usize]) -> Vec<Coord> {
        face.iter()
            .map(|&h| {
                let (a, b) = self.edges[h / 2];
                self.nodes[if h.is_multiple_of(2) { a } else { b }]
            })
            .collect()
    }
}

/// Partitions the county ring (open, counter-clockwise, frame) into one face per seed.
/// Fails (naming why) when a seed lies outside the county, a crossing is degenerate or a
/// township would come out in several pieces: move the seeds.
pub fn partition(county: &[Coord], seeds: &[Coord], seed: u64) -> Result<Partition, String> {
    let mut rng = Rng::new(seed);
    // 1. Voronoi cells in a box far around the county; canonical shared vertices.
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for c in county {
        (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
    }
    let m = 50_000.0;
    let boxed = vec![
        Coord {
            x: x0 - m,
            y: y0 - m,
        },
        Coord {
            x: x1 + m,
            y: y0 - m,
        },
        Coord {
            x: x1 + m,
            y: y1 + m,
        },
        Coord {
            x: x0 - m,
            y: y1 + m,
        },
    ];
    let mut canon: Vec<Coord> = Vec::new();
    let mut canon_id = |p: Coord| -> usize {
        if let Some(i) = canon
            .iter()
            .position(|c| (c.x - p.x).abs() < 1e-3 && (c.y - p.y).abs() < 1e-3)
        {
            return i;
        }
        canon.push(p);
        canon.len() - 1
    };
    let mut vedges = BTreeSet::new();
    for (i, &si) in seeds.iter().enumerate() {
        let mut cell = boxed.clone();
        for (j, &sj) in seeds.iter().enumerate() {
            if i != j {
                cell = clip_to_seed(&cell, si, sj);
            }
        }
        let ids: Vec<usize> = cell.iter().map(|&p| canon_id(p)).collect();
        for k in 0..ids.len() {
            let (a, b) = (ids[k], ids[(k + 1) % ids.len()]);
            if a != b {
                vedges.insert((a.min(b), a.max(b)));
            }
        }
    }
    // 2. Wavy township boundaries (each Voronoi edge once, so shared by both neighbours).
    let mut segs: Vec<(Coord, Coord)> = Vec::new();
    for &(a, b) in &vedges {
        let line = wavy(canon[a], canon[b], &mut rng);
        segs.extend(line.windows(2).map(|w| (w[0], w[1])));
    }
    // 3. Arrangement with the county ring: each crossing computed once, used on both sides.
    let n = county.len();
    let mut on_county: Vec<Vec<(f64, Coord)>> = vec![Vec::new(); n];
    let mut on_seg: Vec<Vec<(f64, Coord)>> = vec![Vec::new(); segs.len()];
    for (k, &(p, q)) in segs.iter().enumerate() {
        for i in 0..n {
            let (a, b) = (county[i], county[(i + 1) % n]);
            if let Some((t, s, x)) = seg_intersection(p, q, a, b) {
                let eps = 1e-9;
                if !(t > eps && t < 1.0 - eps && s > eps && s < 1.0 - eps) {
                    return Err("degenerate township/county crossing; move a seed".into());
                }
                on_seg[k].push((t, x));
                on_county[i].push((s, x));
            }
        }
    }
    let mut ring = Vec::with_capacity(n + 64);
    for i in 0..n {
        ring.push(county[i]);
        on_county[i].sort_by(|a, b| a.0.total_cmp(&b.0));
        ring.extend(on_county[i].iter().map(|&(_, x)| x));
    }
    let mut graph_segs: Vec<(Coord, Coord)> = (0..ring.len())
        .map(|i| (ring[i], ring[(i + 1) % ring.len()]))
        .collect();
    for (k, &(p, q)) in segs.iter().enumerate() {
        on_seg[k].sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut pts = vec![p];
        pts.extend(on_seg[k].iter().map(|&(_, x)| x));
        pts.push(q);
        for w in pts.windows(2) {
            let mid = (w[0] + w[1]) * 0.5;
            if in_ring(&ring, mid) {
                graph_segs.push((w[0], w[1]));
            }
        }
    }
    let mut graph = Graph::new(&graph_segs);
    graph.prune();
    // 4. Faces, labelled by the nearest seed of an interior point.
    let label_faces = |graph: &Graph| -> Labelled {
        let (faces, face_of) = graph.faces();
        let mut labels = Vec::new();
        let mut areas = Vec::new();
        for f in &faces {
            let r = graph.ring(f);
            let a = signed_area(&r);
            areas.push(a);
            if a <= 0.0 {
                labels.push(None);
                continue;
            }
            let Some(p) = polygon(r).interior_point() else {
                labels.push(None);
                continue;
            };
            let p = p.0;
            let nearest = (0..seeds.len())
                .min_by(|&i, &j| {
                    let di = (seeds[i] - p).x.hypot((seeds[i] - p).y);
                    let dj = (seeds[j] - p).x.hypot((seeds[j] - p).y);
                    di.total_cmp(&dj)
                })
                .expect("seeds");
            labels.push(Some(nearest));
        }
        (faces, face_of, labels, areas)
    };
    let (faces, face_of, mut labels, areas) = label_faces(&graph);
    // A seed with several pieces keeps its largest; the others join the neighbour they share
    // most boundary with. A piece whose only neighbours are pieces of its own seed waits
    // until those have joined theirs, or stays with them.
    let joins = |f: usize, labels: &[Option<usize>]| -> Option<usize> {
        let s = labels[f];
        let mut shared: BTreeMap<usize, f64> = BTreeMap::new();
        for &h in &faces[f] {
            if let Some(other) = labels[face_of[h ^ 1]] {
                if Some(other) != s {
                    let (a, b) = graph.edges[h / 2];
                    let d = graph.nodes[a] - graph.nodes[b];
                    *shared.entry(other).or_default() += d.x.hypot(d.y);
                }
            }
        }
        shared
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|m| m.0)
    };
    let mut waiting: Vec<usize> = Vec::new();
    for s in 0..seeds.len() {
        let mine: Vec<usize> = (0..faces.len()).filter(|&f| labels[f] == Some(s)).collect();
        let Some(&keep) = mine.iter().max_by(|&&a, &&b| areas[a].total_cmp(&areas[b])) else {
            continue;
        };
        for &f in mine.iter().filter(|&&f| f != keep) {
            match joins(f, &labels) {
                Some(to) => labels[f] = Some(to),
                None => waiting.push(f),
            }
        }
    }
    while !waiting.is_empty() {
        let before = waiting.len();
        let mut still = Vec::new();
        for f in waiting {
            match joins(f, &labels) {
                Some(to) => labels[f] = Some(to),
                None => still.push(f),
            }
        }
        if still.len() == before {
            // Pieces next to their own seed's other pieces stay with them (merged below; a
            // township that still comes out in several pieces is refused there).
            let own = |f: usize| {
                faces[f].iter().any(|&h| {
                    labels[face_of[h ^ 1]].is_some() && labels[face_of[h ^ 1]] == labels[f]
                })
            };
            if still.iter().all(|&f| own(f)) {
                break;
            }
            return Err("a detached township piece with no neighbour".into());
        }
        waiting = still;
    }
    // 5. Merge faces of the same township: drop the edges between them, trace again.
    let edges: Vec<(usize, usize)> = (0..graph.edges.len())
        .filter(|&e| {
            let (l, r) = (labels[face_of[2 * e]], labels[face_of[2 * e + 1]]);
            !(l.is_some() && l == r)
        })
        .map(|e| graph.edges[e])
        .collect();
    graph.edges = edges;
    graph.prune();
    let (faces, _, labels, _) = label_faces(&graph);
    let mut cells = vec![Vec::new(); seeds.len()];
    for (f, label) in faces.iter().zip(&labels) {
        if let Some(s) = *label {
            if !cells[s].is_empty() {
                return Err(format!("township {s} is in several pieces"));
            }
            cells[s] = graph.ring(f);
        }
    }
    if let Some(s) = cells.iter().position(|c| c.is_empty()) {
        return Err(format!("township seed {s} lies outside the county"));
    }
    Ok(Partition {
        county: ring,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, Validation};

    #[test]
    fn partition_is_exact() {
        // a wobbly 20 km square
        let mut ring = Vec::new();
        for k in 0..40 {
            let t = k as f64 / 10.0;
            let (side, f) = (t.floor() as i32, t.fract());
            let wob = 300.0 * (k as f64 * 1.7).sin();
            let p = match side {
                0 => Coord {
                    x: f * 20_000.0,
                    y: wob,
                },
                1 => Coord {
                    x: 20_000.0 + wob,
                    y: f * 20_000.0,
                },
                2 => Coord {
                    x: 20_000.0 * (1.0 - f),
                    y: 20_000.0 + wob,
                },
                _ => Coord {
                    x: wob,
                    y: 20_000.0 * (1.0 - f),
                },
            };
            ring.push(p);
        }
        let seeds = [
            (4.0, 5.0),
            (15.0, 4.0),
            (10.0, 12.0),
            (3.0, 17.0),
            (17.0, 16.0),
        ]
        .map(|(x, y)| Coord {
            x: x * 1000.0,
            y: y * 1000.0,
        });
        let part = partition(&ring, &seeds, 7).unwrap();
        let county = polygon(part.county.clone());
        assert!(county.is_valid());
        let cells: Vec<_> = part.cells.iter().map(|c| polygon(c.clone())).collect();
        let total: f64 = cells.iter().map(|c| c.signed_area()).sum();
        assert!(cells.iter().all(|c| c.is_valid() && c.signed_area() > 0.0));
        assert!(
            (total - county.signed_area()).abs() < 1e-3,
            "{total} vs {}",
            county.signed_area()
        );
        for i in 0..cells.len() {
            for j in i + 1..cells.len() {
                assert!(cells[i].intersection(&cells[j]).unsigned_area() < 1e-3);
            }
        }
        // each seed lies in its own cell
        for (s, c) in seeds.iter().zip(&cells) {
            assert!(in_ring(&c.exterior().0, *s));
        }
    }
}
