//! Which outlines touch: two counties are neighbours when they share a stretch of border, i.e.
//! at least two vertices of one lie within 5 m of the other's outline (Amap's outlines of
//! adjacent counties share their border vertices; a corner touch does not count).

use crate::county::Boundary;
use crate::frame::{ll_deg, Frame, Ll};

const NEAR_M: f64 = 5.0;

fn rings(b: &Boundary) -> impl Iterator<Item = &Vec<Ll>> {
    b.polygons.iter().flatten()
}

fn bbox(b: &Boundary) -> (i64, i64, i64, i64) {
    rings(b)
        .flatten()
        .fold((i64::MAX, i64::MIN, i64::MAX, i64::MIN), |a, p| {
            (a.0.min(p.0), a.1.max(p.0), a.2.min(p.1), a.3.max(p.1))
        })
}

/// Distance (m) from p to the segment a–b, in a local metric frame.
fn seg_dist(fr: &Frame, p: Ll, a: Ll, b: Ll) -> f64 {
    let at = |q: Ll| {
        let (x, y) = ll_deg(q);
        fr.to_frame(x, y)
    };
    let (p, a, b) = (at(p), at(a), at(b));
    let d = b - a;
    let len2 = d.x * d.x + d.y * d.y;
    let t = if len2 > 0.0 {
        (((p - a).x * d.x + (p - a).y * d.y) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let q = a + d * t;
    (p - q).x.hypot((p - q).y)
}

/// Whether `a` and `b` share a stretch of border.
pub fn touch(a: &Boundary, b: &Boundary) -> bool {
    let (ba, bb) = (bbox(a), bbox(b));
    let pad = 1000; // 1e-4°, about 10 m
    if ba.0 > bb.1 + pad || bb.0 > ba.1 + pad || ba.2 > bb.3 + pad || bb.2 > ba.3 + pad {
        return false;
    }
    let (lon, lat) = ll_deg(((ba.0 + ba.1) / 2, (ba.2 + ba.3) / 2));
    let fr = Frame::new(lon, lat);
    let mut near = 0;
    for r in rings(a) {
        for &p in r {
            if p.0 < bb.0 - pad || p.0 > bb.1 + pad || p.1 < bb.2 - pad || p.1 > bb.3 + pad {
                continue;
            }
            let close = rings(b).any(|rb| {
                (0..rb.len()).any(|k| seg_dist(&fr, p, rb[k], rb[(k + 1) % rb.len()]) <= NEAR_M)
            });
            if close {
                near += 1;
                if near >= 2 {
                    return true;
                }
            }
        }
    }
    false
}

/// For each boundary, the indices of those it touches (ascending).
pub fn all(bs: &[Boundary]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); bs.len()];
    for i in 0..bs.len() {
        for j in i + 1..bs.len() {
            if touch(&bs[i], &bs[j]) {
                out[i].push(j);
                out[j].push(i);
            }
        }
    }
    for v in &mut out {
        v.sort_unstable();
    }
    out
}
