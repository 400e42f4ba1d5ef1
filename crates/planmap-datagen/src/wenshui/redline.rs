//! 生态保护红线: the western mountains (tuned to the plan's 367.4 km²), the river strips of
//! 文峪河 and 汾河 on the plain, and 南徐水源地's first-level zone.

use crate::frame::{self, kx};
use crate::geom::{self, blob, buffer_line, disc, in_polygon, in_ring, smooth_line};
use crate::out::written_area;
use crate::rng::{value_noise, Rng};
use crate::wenshui::ecology::{west_of, Ecology};
use crate::wenshui::layout;
use crate::wenshui::planted::{self, B1, B3, FEN_RED_W, FEN_X, WENYU_RED_W, WENYU_X};
use crate::wenshui::zoning::Zoning;
use geo::{BooleanOps, Buffer, Coord, InteriorPoint, LineString, MultiPolygon, Polygon};

pub struct RedPatch {
    pub name: String,
    pub kind: &'static str,
    pub area: Polygon,
}

/// Result: the patches and the tuned scale of the spots left out of the mountains.
pub struct RedLine {
    pub patches: Vec<RedPatch>,
    pub spot_scale: f64,
}

const NOISE_SEED: u64 = 0x5EED_0003;
const SPOT_SEED: u64 = 0x5EED_0004;
/// Mean width (m) of the margin along the mountain foot left out of the red line.
const FOOT_MARGIN_M: f64 = 1500.0;

/// Spots left out of the red line: a jittered 3 km grid over the mountains (centre, radius).
fn spots(barrier: &MultiPolygon) -> Vec<(Coord, f64)> {
    let mut rng = Rng::new(SPOT_SEED ^ 1);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for c in barrier.0.iter().flat_map(|p| p.exterior().0.iter()) {
        (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
    }
    let step = 3000.0;
    let mut out = Vec::new();
    let mut y = y0 + step / 2.0;
    while y < y1 {
        let mut x = x0 + step / 2.0;
        while x < x1 {
            let c = Coord {
                x: x + rng.range(-0.4, 0.4) * step,
                y: y + rng.range(-0.4, 0.4) * step,
            };
            let r = rng.range(350.0, 900.0);
            if geom::in_multi(barrier, c) {
                out.push((c, r));
            }
            x += step;
        }
        y += step;
    }
    out
}

/// The foot line moved west by a wavy margin of mean `d` metres.
fn shifted_foot(foot: &LineString, d: f64) -> LineString {
    let mut pts = Vec::new();
    for w in foot.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (b - a).x.hypot((b - a).y);
        let n = (len / 150.0).ceil().max(1.0) as usize;
        for k in 0..n {
            pts.push(a + (b - a) * (k as f64 / n as f64));
        }
    }
    pts.push(*foot.0.last().expect("foot"));
    LineString::new(
        pts.into_iter()
            .map(|p| {
                let f = 0.55 + 0.9 * value_noise(NOISE_SEED, 0.0, p.y, 2500.0);
                Coord {
                    x: p.x - d * f,
                    y: p.y,
                }
            })
            .collect(),
    )
}

pub fn build(
    county: &MultiPolygon,
    cells: &[Polygon],
    eco: &Ecology,
    zoning: &Zoning,
    target_m2: f64,
) -> RedLine {
    // Kept clear of the red line: towns and parks with a 60 m margin.
    let mut keep_out = MultiPolygon(vec![]);
    for t in &zoning.towns {
        keep_out = keep_out.union(&t.area.buffer(60.0));
    }
    for p in &zoning.parks {
        keep_out = keep_out.union(&p.area.buffer(60.0));
    }
    let plain = county.difference(&eco.west);
    let river = |name: &str| {
        &eco.rivers
            .iter()
            .find(|r| r.name == name)
            .expect("river")
            .line
    };

    let wenyu = buffer_line(river("文峪河"), WENYU_RED_W * kx()).intersection(&plain);
    let wenyu = planted::straighten(&wenyu, B1, WENYU_X, WENYU_RED_W)
        .intersection(&plain)
        .difference(&keep_out);
    let fen = buffer_line(river("汾河"), FEN_RED_W * kx()).intersection(county);
    let fen = planted::straighten(&fen, B3, FEN_X, FEN_RED_W)
        .intersection(county)
        .difference(&keep_out);
    let wenyu = geom::drop_small(wenyu, 20_000.0, 5_000.0);
    let fen = geom::drop_small(fen, 20_000.0, 5_000.0);
    let nanxu = zoning.water[0].area.clone();
    let fr = frame::wenshui();
    let fixed = written_area(&fr, &wenyu)
        + written_area(&fr, &fen)
        + written_area(&fr, &geom::mp(nanxu.clone()));

    // Mountain part, minus a wavy margin along the foot, valleys and clearings.
    let mut cut = wenyu.buffer(10.0).union(&keep_out);
    let road = smooth_line(&layout::MOUNTAIN_ROAD, 2);
    cut = cut.union(&buffer_line(&road, 250.0));
    for &((lon, lat), r) in &layout::MOUNTAIN_CLEARINGS {
        cut = cut.union(&geom::mp(disc(frame::deg(lon, lat), r, 24)));
    }
    let reservoir = geom::mp(disc(
        frame::deg(layout::RESERVOIR.0, layout::RESERVOIR.1),
        1600.0,
        40,
    ))
    .intersection(&eco.barrier);
    // A wavy margin along the foot (slopes, terraces, quarries) and scattered non-red spots
    // (villages, mines, slope farmland) whose size is the tuning parameter.
    let core = eco
        .barrier
        .intersection(&west_of(&shifted_foot(&eco.foot, FOOT_MARGIN_M)))
        .difference(&cut);
    let reservoir = reservoir.difference(&cut);
    let spots = spots(&eco.barrier);
    let insets: Vec<MultiPolygon> = cells.iter().map(|c| c.buffer(-5.0)).collect();
    let mountain = |scale: f64| -> Vec<MultiPolygon> {
        let mut holes = MultiPolygon(vec![]);
        if scale > 0.0 {
            let mut rng = Rng::new(SPOT_SEED);
            for &(c, r) in &spots {
                let e = rng.range(0.6, 1.0);
                let rot = rng.range(0.0, std::f64::consts::PI);
                holes = holes.union(&geom::mp(blob(
                    c,
                    r * scale / e.sqrt(),
                    r * scale * e.sqrt(),
                    rot,
                    0.25,
                    20,
                    &mut rng,
                )));
            }
        }
        // one patch set per township, 10 m apart along the township boundaries
        let all = core.difference(&holes).union(&reservoir);
        insets
            .iter()
            .map(|inset| geom::drop_small(all.intersection(inset), 50_000.0, 20_000.0))
            .collect::<Vec<MultiPolygon>>()
    };
    let f = |s: f64| {
        mountain(s)
            .iter()
            .map(|m| written_area(&fr, m))
            .sum::<f64>()
            + fixed
            - target_m2
    };
    let (mut lo, mut hi) = (0.0, 3.0);
    assert!(
        f(lo) > 0.0,
        "the mountains are too small for the red line target"
    );
    assert!(f(hi) < 0.0, "the red line spot scale range is too narrow");
    let mut d = 0.5 * (lo + hi);
    for _ in 0..60 {
        d = 0.5 * (lo + hi);
        let v = f(d);
        if v.abs() < 500.0 {
            break;
        }
        if v > 0.0 {
            lo = d;
        } else {
            hi = d;
        }
    }
    let mountain = mountain(d);

    // Name and type the pieces.
    let cang = frame::deg(layout::PLACES[1].2, layout::PLACES[1].3);
    let res = frame::deg(layout::RESERVOIR.0, layout::RESERVOIR.1);
    let road_y = |x: f64| -> f64 {
        let pts = &road.0;
        let w = pts.windows(2).find(|w| (w[0].x - x) * (w[1].x - x) <= 0.0);
        match w {
            Some(w) if (w[1].x - w[0].x).abs() > 1e-9 => {
                w[0].y + (w[1].y - w[0].y) * (x - w[0].x) / (w[1].x - w[0].x)
            }
            _ => pts[0].y,
        }
    };
    let mut parts: Vec<(f64, RedPatch)> = Vec::new();
    for p in mountain.into_iter().flat_map(|m| m.0.into_iter()) {
        let ip = p.interior_point().expect("interior point").0;
        let (lon, _) = frame::to_lonlat(ip);
        let (name, kind) = if in_ring(&p.exterior().0, cang) {
            ("苍儿会".to_string(), "生物多样性维护")
        } else if lon < 111.84 {
            (String::new(), "生物多样性维护")
        } else if in_polygon(&p, res) {
            ("文峪河水库".to_string(), "水源涵养")
        } else if ip.y > road_y(ip.x) {
            (String::new(), "水源涵养")
        } else {
            (String::new(), "水土保持")
        };
        parts.push((
            ip.x,
            RedPatch {
                name,
                kind,
                area: p,
            },
        ));
    }
    parts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut patches: Vec<RedPatch> = parts.into_iter().map(|(_, p)| p).collect();
    for p in wenyu.0 {
        patches.push(RedPatch {
            name: "文峪河".into(),
            kind: "河湖岸线",
            area: p,
        });
    }
    for p in fen.0 {
        patches.push(RedPatch {
            name: "汾河".into(),
            kind: "河湖岸线",
            area: p,
        });
    }
    patches.push(RedPatch {
        name: "南徐水源地".into(),
        kind: "水源涵养",
        area: nanxu,
    });
    RedLine {
        patches,
        spot_scale: d,
    }
}
