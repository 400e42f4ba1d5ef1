//! The planted conflicts: small hand-built sites whose overlaps are known in closed form.
//!
//! Every planted overlap is an axis-aligned lon/lat rectangle on the 1e-7° grid: the two
//! features that overlap both have axis-aligned edges there (a river reach made straight and
//! north–south, with its red-line strip and corridor replaced inside a box by exact
//! rectangles; rectilinear parks and town boundaries; rectangular field patches). Rounding is
//! coordinate-wise, so the written features intersect in exactly the written rectangle.

use crate::frame::{rect_deg, rect_deg_mp};
use geo::{BooleanOps, MultiPolygon, Polygon};

pub use crate::frame::LlBox;

/// 文峪河's straight reach (lon) and box B1 around it.
pub const WENYU_X: f64 = 112.1000;
pub const B1: LlBox = (112.0900, 112.1100, 37.3740, 37.3960);
/// Half-widths (degrees of longitude) of 文峪河's red-line strip and corridor.
pub const WENYU_RED_W: f64 = 0.0017;
pub const WENYU_COR_W: f64 = 0.0045;

/// 汾河's straight reach and box B3 around it.
pub const FEN_X: f64 = 112.2430;
pub const B3: LlBox = (112.2340, 112.2520, 37.4010, 37.4290);
pub const FEN_RED_W: f64 = 0.0023;
pub const FEN_COR_W: f64 = 0.0050;

/// 磁窑河's corridor half-width (it has no red-line strip).
pub const CIYAO_COR_W: f64 = 0.0040;

/// Which planted overlap a patch or feature takes part in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Site {
    /// Field fully inside 文峪河's red-line strip (B1).
    RedFull,
    /// Field across the west edge of the strip (B1).
    RedPartial,
    /// Field overlapping the strip's east edge by one grid step (B1): a sliver.
    RedSliver,
    /// Fields across 东庄产业园's west edge.
    ParkA,
    ParkB,
    /// Field across 南武乡's town boundary.
    Town,
    /// 百金堡产业园's east edge inside 汾河's corridor (B3).
    Corridor,
}

/// The planted field patches (lon/lat boxes).
pub const PATCHES: [(Site, LlBox); 6] = [
    (Site::RedFull, (112.0985, 112.0997, 37.3850, 37.3858)),
    (Site::RedPartial, (112.0968, 112.0988, 37.3866, 37.3874)),
    (Site::RedSliver, (112.1016999, 112.1032, 37.3860, 37.3864)),
    (Site::ParkA, (112.1885, 112.1905, 37.4390, 37.4398)),
    (Site::ParkB, (112.1882, 112.1910, 37.4430, 37.4440)),
    (Site::Town, (112.0640, 112.0656, 37.3704, 37.3713)),
];

/// 南武乡's town boundary (an axis-aligned rectangle).
pub const NANWU_TOWN: LlBox = (112.0600, 112.0720, 37.3710, 37.3790);

/// The four parks of 文水经济开发区 (rectilinear outlines, counter-clockwise).
/// A rectilinear outline (lon/lat, counter-clockwise).
pub type Outline = &'static [(f64, f64)];

pub const PARKS: [(&str, &str, Outline); 4] = [
    (
        "百金堡产业园",
        "电力、光伏、焦化、煤化工",
        &[
            (112.2200, 37.4060),
            (112.2390, 37.4060),
            (112.2390, 37.4260),
            (112.2280, 37.4260),
            (112.2280, 37.4200),
            (112.2200, 37.4200),
        ],
    ),
    (
        "桑村产业园",
        "新型金属材料",
        &[
            (112.2250, 37.4880),
            (112.2430, 37.4880),
            (112.2430, 37.5000),
            (112.2250, 37.5000),
        ],
    ),
    (
        "东庄产业园",
        "装备制造、新材料",
        &[
            (112.1900, 37.4350),
            (112.2150, 37.4350),
            (112.2150, 37.4500),
            (112.2000, 37.4500),
            (112.2000, 37.4470),
            (112.1900, 37.4470),
        ],
    ),
    (
        "南安产业园",
        "白酒制造、农副产品加工",
        &[
            (112.1000, 37.3250),
            (112.1180, 37.3250),
            (112.1180, 37.3380),
            (112.1000, 37.3380),
        ],
    ),
];

/// The expected overlap rectangle of each site (lon/lat box).
pub fn overlap_box(site: Site) -> LlBox {
    let patch = |s: Site| PATCHES.iter().find(|p| p.0 == s).expect("planted patch").1;
    let red = (WENYU_X - WENYU_RED_W, WENYU_X + WENYU_RED_W);
    match site {
        Site::RedFull => patch(site),
        Site::RedPartial => {
            let p = patch(site);
            (red.0, p.1, p.2, p.3)
        }
        Site::RedSliver => {
            let p = patch(site);
            (p.0, red.1, p.2, p.3)
        }
        Site::ParkA | Site::ParkB => {
            let p = patch(site);
            (112.1900, p.1, p.2, p.3)
        }
        Site::Town => {
            let p = patch(site);
            (p.0, p.1, NANWU_TOWN.2, p.3)
        }
        Site::Corridor => (FEN_X - FEN_COR_W, 112.2390, 37.4060, 37.4260),
    }
}

pub fn box_poly(b: LlBox) -> Polygon {
    rect_deg(b.0, b.1, b.2, b.3)
}

/// Replaces a river strip inside a box by the exact rectangle `[x − w, x + w] × box lat`.
pub fn straighten(strip: &MultiPolygon, bx: LlBox, x: f64, w: f64) -> MultiPolygon {
    let outside = strip.difference(&rect_deg_mp(bx.0, bx.1, bx.2, bx.3));
    outside.union(&rect_deg_mp(x - w, x + w, bx.2, bx.3))
}

/// A lon/lat box as a frame multipolygon.
pub fn rect_mp(b: LlBox) -> MultiPolygon {
    rect_deg_mp(b.0, b.1, b.2, b.3)
}
