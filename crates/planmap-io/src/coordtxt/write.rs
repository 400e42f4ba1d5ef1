//! Writing the coordinate TXT: lon/lat parcels projected to CGCS2000 3-degree Gauss-Krüger,
//! coordinates rounded to the stated precision, each ring closed by repeating its first point,
//! the parcel area in 公顷 (planar, as the format's users expect), GBK or UTF-8, CRLF.

use geo::{Area, Coord, LineString, MapCoords, MultiPolygon, Polygon, Winding};
use planmap_core::tmerc::TransverseMercator;

use super::encoding::TxtEncoding;

/// How to write a file.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub zone: u32,
    /// Eastings with the zone prefix (`37588509.109`).
    pub prefix: bool,
    pub encoding: TxtEncoding,
    /// Decimals of the coordinates (`精度=0.001` for 3).
    pub decimals: usize,
    /// Extra `key=value` lines for an `[项目信息]` section.
    pub project: Vec<(String, String)>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            zone: 37,
            prefix: true,
            encoding: TxtEncoding::Gbk,
            decimals: 3,
            project: vec![],
        }
    }
}

/// One parcel to write, in lon/lat.
#[derive(Debug, Clone)]
pub struct WriteParcel {
    pub number: String,
    pub name: String,
    pub usage: String,
    pub land_code: String,
    pub shape: MultiPolygon<f64>,
}

fn clean(s: &str) -> String {
    s.replace([',', '，', '@', '\r', '\n'], " ")
}

/// Rings in the Gauss-Krüger plane, rounded: outer rings clockwise as surveyors walk them
/// (X north, Y east), holes counter-clockwise.
fn rings(shape: &MultiPolygon<f64>, tm: &TransverseMercator, k: f64) -> Vec<LineString<f64>> {
    let round = |c: Coord<f64>| {
        let p = tm.forward(c);
        Coord {
            x: (p.x * k).round() / k,
            y: (p.y * k).round() / k,
        }
    };
    let mut out = Vec::new();
    for p in &shape.0 {
        let mut ext = p.exterior().map_coords(round);
        ext.make_cw_winding();
        out.push(ext);
        for h in p.interiors() {
            let mut h = h.map_coords(round);
            h.make_ccw_winding();
            out.push(h);
        }
    }
    out
}

/// Writes parcels as a coordinate TXT.
pub fn write(parcels: &[WriteParcel], o: &WriteOptions) -> Vec<u8> {
    let tm = TransverseMercator::cgcs2000_3deg(o.zone, o.prefix);
    let k = 10f64.powi(o.decimals as i32);
    let mut lines: Vec<String> = vec![
        "[属性描述]".into(),
        "格式版本号=1.01版本".into(),
        "数据产生单位=planmap".into(),
        "坐标系=2000国家大地坐标系".into(),
        "几度分带=3".into(),
        "投影类型=高斯克吕格".into(),
        "计量单位=米".into(),
        format!("带号={}", o.zone),
        format!("精度={}", 1.0 / k),
        "转换参数=,,,,,,".into(),
    ];
    if !o.project.is_empty() {
        lines.push("[项目信息]".into());
        for (key, v) in &o.project {
            lines.push(format!("{}={}", clean(key), clean(v)));
        }
    }
    lines.push("[地块坐标]".into());
    for p in parcels {
        let rs = rings(&p.shape, &tm, k);
        let area: f64 = crate::rings::classify(rs.clone())
            .0
            .iter()
            .map(Polygon::unsigned_area)
            .sum();
        let count: usize = rs.iter().map(|r| r.0.len()).sum();
        lines.push(format!(
            "{count},{:.4},{},{},面,,{},{},@",
            area / 10_000.0,
            clean(&p.number),
            clean(&p.name),
            clean(&p.usage),
            clean(&p.land_code)
        ));
        let mut n = 0;
        for (ri, r) in rs.iter().enumerate() {
            let first = n + 1;
            for (i, c) in r.0.iter().enumerate() {
                // The closing point repeats the ring's first, name and all.
                let name = if i + 1 == r.0.len() {
                    first
                } else {
                    n += 1;
                    n
                };
                lines.push(format!(
                    "J{name},{},{:.d$},{:.d$}",
                    ri + 1,
                    c.y,
                    c.x,
                    d = o.decimals
                ));
            }
        }
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    match o.encoding {
        TxtEncoding::Utf8 => text.into_bytes(),
        TxtEncoding::Gbk => encoding_rs::GBK.encode(&text).0.into_owned(),
    }
}
