//! 一屏三廊一网: the western mountain barrier, the three rivers and their corridors, and the
//! forest network of green belts and greenways.

use crate::frame::{self, kx};
use crate::geom::{self, buffer_line, clip_line, smooth_line};
use crate::wenshui::layout;
use crate::wenshui::planted::{self, B3, CIYAO_COR_W, FEN_COR_W, FEN_X, WENYU_COR_W};
use geo::{BooleanOps, Coord, LineString, MultiPolygon};

/// (name, note, control points, corridor half-width in degrees of longitude).
type RiverDef = (&'static str, &'static str, &'static [(f64, f64)], f64);

pub struct River {
    pub name: &'static str,
    pub note: &'static str,
    /// Smoothed centre line, running beyond the county.
    pub line: LineString,
    /// The part inside the county.
    pub inside: Vec<LineString>,
}

pub struct Corridor {
    pub name: &'static str,
    pub river: &'static str,
    pub half_width_m: f64,
    pub area: MultiPolygon,
}

pub struct Ecology {
    pub foot: LineString,
    /// The plain side is everything east of the foot line: this is the west side.
    pub west: MultiPolygon,
    pub barrier: MultiPolygon,
    pub rivers: Vec<River>,
    pub corridors: Vec<Corridor>,
    pub network: Vec<(&'static str, Vec<LineString>)>,
}

/// The foot line, smoothed and densified (north to south).
fn foot_line() -> LineString {
    smooth_line(&layout::FOOT_LINE, 3)
}

/// The region west of the foot line (a big polygon closed far to the west).
pub fn west_of(foot: &LineString) -> MultiPolygon {
    let mut ring: Vec<Coord> = foot.0.clone();
    let (first, last) = (ring[0], *ring.last().expect("foot line"));
    ring.push(Coord {
        x: last.x,
        y: last.y - 50_000.0,
    });
    ring.push(Coord {
        x: -80_000.0,
        y: last.y - 50_000.0,
    });
    ring.push(Coord {
        x: -80_000.0,
        y: first.y + 50_000.0,
    });
    ring.push(Coord {
        x: first.x,
        y: first.y + 50_000.0,
    });
    geom::mp(geom::polygon(ring))
}

pub fn build(county: &MultiPolygon) -> Ecology {
    let foot = foot_line();
    let west = west_of(&foot);
    let barrier = county.intersection(&west);

    let defs: [RiverDef; 3] = [
        (
            "文峪河",
            "汾河支流，出文峪河水库向东南流经平川",
            &layout::WENYU_RIVER,
            WENYU_COR_W,
        ),
        (
            "磁窑河",
            "汾河支流，自北向南纵贯平川中部",
            &layout::CIYAO_RIVER,
            CIYAO_COR_W,
        ),
        (
            "汾河",
            "黄河一级支流，沿县境东缘流过",
            &layout::FEN_RIVER,
            FEN_COR_W,
        ),
    ];
    let mut rivers = Vec::new();
    let mut corridors = Vec::new();
    for (name, note, pts, w) in defs {
        let line = smooth_line(pts, 2);
        let inside = clip_line(county, &line, 200.0);
        let width = w * kx();
        let mut area = buffer_line(&line, width).intersection(county);
        if name == "汾河" {
            // exact rectangle in B3, where 百金堡产业园 reaches into the corridor
            area = planted::straighten(&area, B3, FEN_X, w).intersection(county);
        }
        let area = geom::drop_small(area, 10_000.0, 1_000.0);
        corridors.push(Corridor {
            name: match name {
                "文峪河" => "文峪河生态廊道",
                "磁窑河" => "磁窑河生态廊道",
                _ => "汾河生态廊道",
            },
            river: name,
            half_width_m: width.round(),
            area,
        });
        rivers.push(River {
            name,
            note,
            line,
            inside,
        });
    }

    let network = layout::NETWORK
        .iter()
        .map(|&(name, pts)| {
            let line = LineString::new(pts.iter().map(|&(x, y)| frame::deg(x, y)).collect());
            (name, clip_line(county, &line, 300.0))
        })
        .filter(|(_, parts)| !parts.is_empty())
        .collect();

    Ecology {
        foot,
        west,
        barrier,
        rivers,
        corridors,
        network,
    }
}
