//! The land-ministry coordinate TXT (勘测定界界址点坐标交换格式): read and write.
//!
//! ```text
//! [属性描述]
//! 坐标系=2000国家大地坐标系
//! 几度分带=3
//! 带号=37
//! 精度=0.001
//! [地块坐标]
//! 5,1.0000,1,地块名称,面,,,,@       界址点数,面积(公顷),编号,名称,图形属性,图幅号,用途,地类编码,@
//! J1,1,4144702.574,37588509.109      点号,圈号,X (northing),Y (easting)
//! ```
//! Read leniently, as the files in the wild are (DESIGN.md): the point count is not trusted
//! (a parcel runs to the next `@` line), rings are told apart by 圈号 or by a point repeating
//! the ring's first, holes from extra outer parts by containment ([`crate::rings`]), 3-field
//! lines `J1,X,Y`, eastings with or without the zone prefix, GBK or UTF-8, CRLF or LF, full-
//! width commas, an optional `[项目信息]` section, areas in 公顷 or m² or with units attached.
//!
//! Coordinates here stay as the file has them; [`Parcel::geometry`] gives a geometry with
//! x = easting, y = northing, and the caller ([`crate::source`]) takes it to lon/lat.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, Point};

use crate::rings;

/// What is wrong with a coordinate TXT, naming the line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TxtError {
    #[error("not a coordinate TXT: the text is neither UTF-8 nor GBK")]
    Encoding,
    #[error("not a coordinate TXT: no [地块坐标] section with a parcel line ending in '@'")]
    NoParcels,
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

fn line_err(line: usize, message: impl Into<String>) -> TxtError {
    TxtError::Line {
        line,
        message: message.into(),
    }
}

/// One boundary point (界址点): name, X = northing, Y = easting, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct TxtPoint {
    pub name: String,
    pub x: f64,
    pub y: f64,
}

/// One ring (圈) of a parcel.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    /// 圈号 as written (3-field files: counted from 1).
    pub no: u32,
    pub points: Vec<TxtPoint>,
}

/// One parcel (地块): its header fields and rings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parcel {
    /// 界址点数 as stated (not trusted).
    pub stated_points: Option<usize>,
    /// 地块面积 as written (公顷 by the format, m² or with a unit in the wild).
    pub stated_area: String,
    pub number: String,
    pub name: String,
    /// 记录图形属性: 面, 线 or 点.
    pub kind: String,
    pub sheet: String,
    pub usage: String,
    pub land_code: String,
    pub rings: Vec<Ring>,
    /// The 1-based line of the parcel header.
    pub line: usize,
}

/// A parsed coordinate TXT.
#[derive(Debug, Clone, PartialEq)]
pub struct CoordTxt {
    /// `key=value` lines with their section (`属性描述`, `项目信息`), in file order.
    pub meta: Vec<(String, String, String)>,
    pub parcels: Vec<Parcel>,
    pub encoding: TxtEncoding,
    pub crlf: bool,
}

/// Decodes a file's bytes: UTF-8 (with or without BOM), else GBK (read as GB18030, its
/// superset).
pub fn decode(bytes: &[u8]) -> Result<(String, TxtEncoding), TxtError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), TxtEncoding::Utf8));
    }
    let (s, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(TxtError::Encoding);
    }
    Ok((s.into_owned(), TxtEncoding::Gbk))
}

fn fields(line: &str) -> Vec<&str> {
    line.split([',', '，']).map(str::trim).collect()
}

fn number(s: &str, line: usize, what: &str) -> Result<f64, TxtError> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| line_err(line, format!("{what} '{s}' is not a number")))
}

impl Parcel {
    fn from_header(f: &[&str], line: usize) -> Parcel {
        let get = |i: usize| f.get(i).map(|s| s.to_string()).unwrap_or_default();
        Parcel {
            stated_points: f.first().and_then(|s| s.parse().ok()),
            stated_area: get(1),
            number: get(2),
            name: get(3),
            kind: get(4),
            sheet: get(5),
            usage: get(6),
            land_code: get(7),
            rings: vec![],
            line,
        }
    }

    /// Adds a point, starting a new ring when 圈号 changes or the current ring has closed.
    fn push(&mut self, no: Option<u32>, p: TxtPoint) {
        let start_new = match self.rings.last() {
            None => true,
            Some(r) => match no {
                Some(n) if n != r.no => true,
                _ => {
                    let first = &r.points[0];
                    r.points.len() >= 4
                        && r.points
                            .last()
                            .is_some_and(|l| l.x == first.x && l.y == first.y)
                }
            },
        };
        if start_new {
            let no = no.unwrap_or(self.rings.len() as u32 + 1);
            self.rings.push(Ring {
                no,
                points: vec![p],
            });
        } else if let Some(r) = self.rings.last_mut() {
            r.points.push(p);
        }
    }

    /// Number of point lines read.
    pub fn point_count(&self) -> usize {
        self.rings.iter().map(|r| r.points.len()).sum()
    }

    /// The parcel as a geometry with x = easting, y = northing (`swap`: the file has X and Y
    /// the other way round). 面 (or nothing) gives polygons, rings classified by containment;
    /// 线 lines; 点 points.
    pub fn geometry(&self, swap: bool) -> Geometry<f64> {
        let coord = |p: &TxtPoint| {
            if swap {
                Coord { x: p.x, y: p.y }
            } else {
                Coord { x: p.y, y: p.x }
            }
        };
        let lines = || {
            self.rings
                .iter()
                .map(|r| LineString(r.points.iter().map(coord).collect()))
        };
        match self.kind.as_str() {
            "线" => Geometry::MultiLineString(MultiLineString(lines().collect())),
            "点" => Geometry::MultiPoint(MultiPoint(
                self.rings
                    .iter()
                    .flat_map(|r| r.points.iter().map(|p| Point(coord(p))))
                    .collect(),
            )),
            _ => Geometry::MultiPolygon(rings::classify(lines().collect())),
        }
    }
}

impl CoordTxt {
    /// A meta value by key (`带号`), from any section.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(_, k, _)| k == key)
            .map(|(_, _, v)| v.as_str())
    }

    /// The zone the header states (`带号=37`, `37带`).
    pub fn stated_zone(&self) -> Option<u32> {
        let v = self.meta("带号")?;
        let digits: String = v.chars().filter(char::is_ascii_digit).collect();
        digits.parse().ok().filter(|z| *z > 0)
    }

    /// Whether the file's X column holds eastings and Y northings (swapped against the format):
    /// X values of 8 digits (zone prefix) or under 1 000 000 beside Y values of 7 digits.
    pub fn swapped(&self) -> bool {
        let pts = || {
            self.parcels
                .iter()
                .flat_map(|p| &p.rings)
                .flat_map(|r| &r.points)
        };
        let northing = |v: f64| (1_000_000.0..10_000_000.0).contains(&v);
        let first = pts().next();
        first.is_some()
            && pts().all(|p| northing(p.y) && (p.x >= 10_000_000.0 || p.x < 1_000_000.0))
    }
}

/// Parses a coordinate TXT. Returns the file and warnings (point counts that disagree,
/// unknown lines).
pub fn parse(bytes: &[u8]) -> Result<(CoordTxt, Vec<String>), TxtError> {
    let (text, encoding) = decode(bytes)?;
    let crlf = text.contains("\r\n");
    let mut meta = Vec::new();
    let mut parcels: Vec<Parcel> = Vec::new();
    let mut warnings = Vec::new();
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim().trim_start_matches('\u{feff}');
        if l.is_empty() {
            continue;
        }
        if let Some(name) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if section != "地块坐标" {
            if let Some((k, v)) = l.split_once(['=', '＝']) {
                meta.push((section.clone(), k.trim().to_string(), v.trim().to_string()));
            } else {
                warnings.push(format!("line {line}: ignored '{l}' (not key=value)"));
            }
            continue;
        }
        let mut f = fields(l);
        if f.last() == Some(&"@") || l.ends_with('@') {
            if let Some(last) = f.last_mut() {
                *last = last.trim_end_matches('@').trim();
            }
            while f.last() == Some(&"") {
                f.pop();
            }
            parcels.push(Parcel::from_header(&f, line));
            continue;
        }
        while f.last() == Some(&"") {
            f.pop();
        }
        let Some(parcel) = parcels.last_mut() else {
            return Err(line_err(
                line,
                "a point comes before any parcel line ending in '@'",
            ));
        };
        let (name, no, x, y) = match f.as_slice() {
            [name, no, x, y] => {
                let no = no
                    .parse::<u32>()
                    .map_err(|_| line_err(line, format!("圈号 '{no}' is not a whole number")))?;
                (name, Some(no), x, y)
            }
            [name, x, y] => (name, None, x, y),
            _ => {
                return Err(line_err(
                    line,
                    format!(
                        "expected '点号,圈号,X,Y' or '点号,X,Y', got {} fields: '{l}'",
                        f.len()
                    ),
                ))
            }
        };
        let p = TxtPoint {
            name: name.to_string(),
            x: number(x, line, "X")?,
            y: number(y, line, "Y")?,
        };
        parcel.push(no, p);
    }
    if parcels.is_empty() {
        return Err(TxtError::NoParcels);
    }
    for (i, p) in parcels.iter().enumerate() {
        let n = p.point_count();
        if n == 0 {
            return Err(line_err(p.line, format!("parcel {} has no points", i + 1)));
        }
        let open = p
            .rings
            .iter()
            .filter(|r| r.points.first().map(|f| (f.x, f.y)) != r.points.last().map(|l| (l.x, l.y)))
            .count();
        if let Some(stated) = p.stated_points {
            // Files count closing points or leave them out; either agrees.
            let closing = p.rings.len() - open;
            if stated != n && stated != n - closing && stated != n + open {
                warnings.push(format!(
                    "line {}: parcel {} states {stated} points, {n} were read (up to the next \
                     '@' line); the points read are used",
                    p.line,
                    i + 1
                ));
            }
        }
    }
    Ok((
        CoordTxt {
            meta,
            parcels,
            encoding,
            crlf,
        },
        warnings,
    ))
}

/// An area unit a file may state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaUnit {
    Ha,
    M2,
    Mu,
    Km2,
}

impl AreaUnit {
    pub fn m2(self) -> f64 {
        match self {
            AreaUnit::Ha => 10_000.0,
            AreaUnit::M2 => 1.0,
            AreaUnit::Mu => 10_000.0 / 15.0,
            AreaUnit::Km2 => 1_000_000.0,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            AreaUnit::Ha => "公顷",
            AreaUnit::M2 => "平方米",
            AreaUnit::Mu => "亩",
            AreaUnit::Km2 => "平方公里",
        }
    }
}

/// The area a parcel line states, interpreted.
#[derive(Debug, Clone, PartialEq)]
pub struct StatedArea {
    pub raw: String,
    pub value: f64,
    pub unit: AreaUnit,
    /// Whether the unit was written; if not it was chosen as the one (公顷 or m²) nearer the
    /// computed planar area.
    pub unit_written: bool,
}

impl StatedArea {
    pub fn m2(&self) -> f64 {
        self.value * self.unit.m2()
    }
}

/// Interprets a stated area (`459.73`, `459.73公顷`, `4597300m2`, `4597300平方米`, `6895.9亩`)
/// against the computed planar area (m²) for a unit-less number.
pub fn stated_area(raw: &str, planar_m2: f64) -> Option<StatedArea> {
    let t = raw.trim();
    let split = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '-' || *c == '+'))
        .map_or(t.len(), |(i, _)| i);
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().ok().filter(|v: &f64| v.is_finite())?;
    let unit_s = unit.trim().to_lowercase();
    let written = match unit_s.as_str() {
        "" => None,
        "公顷" | "ha" | "hm2" | "hm²" => Some(AreaUnit::Ha),
        "平方米" | "m2" | "m²" | "㎡" | "米" => Some(AreaUnit::M2),
        "亩" => Some(AreaUnit::Mu),
        "平方公里" | "平方千米" | "km2" | "km²" => Some(AreaUnit::Km2),
        _ => return None,
    };
    let unit = written.unwrap_or_else(|| {
        let off = |u: AreaUnit| (value * u.m2() / planar_m2).ln().abs();
        if planar_m2 > 0.0 && value > 0.0 && off(AreaUnit::M2) < off(AreaUnit::Ha) {
            AreaUnit::M2
        } else {
            AreaUnit::Ha
        }
    });
    Some(StatedArea {
        raw: raw.to_string(),
        value,
        unit,
        unit_written: written.is_some(),
    })
}

/// A parcel's stated area beside the computed ones. Serialises as [`ParcelAreaJson`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(into = "ParcelAreaJson")]
pub struct ParcelArea {
    pub index: usize,
    pub number: String,
    pub name: String,
    pub stated: Option<StatedArea>,
    /// Planar area in the Gauss-Krüger plane (what these files usually state).
    pub planar_m2: f64,
    /// Ellipsoidal (geodesic) area, what planmap reports everywhere else.
    pub ellipsoidal_m2: f64,
}

/// How a [`ParcelArea`] reads in JSON (a check's `input.parcels`, an import report's
/// `parcels`): the one serialised form.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParcelAreaJson {
    /// The parcel's place in the file, from 1.
    pub parcel: usize,
    /// 地块编号 as written.
    pub number: String,
    /// 地块名称 as written.
    pub name: String,
    /// 地块面积 as the file writes it (公顷 by the format; m² or with a unit in the wild).
    pub stated_area: Option<String>,
    /// The stated area in m² (its unit as written, else the likelier of 公顷 and m²).
    pub stated_m2: Option<f64>,
    /// Planar area in the Gauss-Krüger plane, m² (what these files usually state).
    pub planar_m2: f64,
    /// Ellipsoidal (geodesic) area, m².
    pub ellipsoidal_m2: f64,
}

impl From<ParcelArea> for ParcelAreaJson {
    fn from(p: ParcelArea) -> Self {
        ParcelAreaJson {
            parcel: p.index + 1,
            stated_m2: p.stated.as_ref().map(StatedArea::m2),
            stated_area: p.stated.map(|s| s.raw),
            number: p.number,
            name: p.name,
            planar_m2: p.planar_m2,
            ellipsoidal_m2: p.ellipsoidal_m2,
        }
    }
}

impl std::fmt::Display for ParcelArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parcel {}", self.index + 1)?;
        if !self.number.is_empty() || !self.name.is_empty() {
            write!(f, " ({} {})", self.number, self.name)?;
        }
        write!(
            f,
            ": computed {:.4} 公顷 planar Gauss-Krüger, {:.4} 公顷 ellipsoidal",
            self.planar_m2 / 1e4,
            self.ellipsoidal_m2 / 1e4
        )?;
        if let Some(s) = &self.stated {
            let d = (self.planar_m2 - s.m2()) / s.m2() * 100.0;
            write!(
                f,
                "; the file states {}{} = {:.4} 公顷 ({d:+.3} % from planar)",
                s.raw.trim(),
                if s.unit_written {
                    String::new()
                } else {
                    format!(" (read as {})", s.unit.zh())
                },
                s.m2() / 1e4
            )?;
        }
        Ok(())
    }
}

mod encoding;
mod write;
pub use encoding::TxtEncoding;
pub use write::{write, WriteOptions, WriteParcel};
