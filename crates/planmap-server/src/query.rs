//! Query parameters, parsed by hand so that every refusal names the parameter and the reason.

use geo::{coord, Rect};

use crate::error::{clip, ApiError, ApiResult};

/// The query string of one request, checked against the parameters its endpoint takes.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `query`, refusing parameters not in `allowed` and parameters given twice.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> ApiResult<Params> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if k.is_empty() && v.is_empty() {
                continue;
            }
            if !allowed.contains(&k.as_ref()) {
                let expected = if allowed.is_empty() {
                    "this endpoint takes no parameters".to_string()
                } else {
                    format!("expected one of: {}", allowed.join(", "))
                };
                return Err(ApiError::parameter(
                    &clip(&k),
                    format!("unknown parameter; {expected}"),
                ));
            }
            if pairs.iter().any(|(p, _)| *p == k) {
                return Err(ApiError::parameter(&k, "given more than once"));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A finite number, if given.
    pub fn f64(&self, name: &str) -> ApiResult<Option<f64>> {
        self.get(name).map(|v| number(name, v)).transpose()
    }

    /// A required finite number within `range`.
    pub fn f64_in(&self, name: &str, range: std::ops::RangeInclusive<f64>) -> ApiResult<f64> {
        let v = self
            .f64(name)?
            .ok_or_else(|| ApiError::parameter(name, "missing; it is required"))?;
        if !range.contains(&v) {
            return Err(ApiError::parameter(
                name,
                format!("{v} is out of range {}..{}", range.start(), range.end()),
            ));
        }
        Ok(v)
    }

    /// A whole number ≥ `min`, if given.
    pub fn uint(&self, name: &str, min: u64) -> ApiResult<Option<u64>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let n: u64 = v.trim().parse().map_err(|_| {
            ApiError::parameter(name, format!("'{}' is not a whole number ≥ {min}", clip(v)))
        })?;
        if n < min {
            return Err(ApiError::parameter(name, format!("{n} is less than {min}")));
        }
        Ok(Some(n))
    }

    /// `bbox=minlon,minlat,maxlon,maxlat` (a 6-number 3D box is accepted, heights ignored).
    pub fn bbox(&self, name: &str) -> ApiResult<Option<Rect<f64>>> {
        self.get(name).map(|v| parse_bbox(name, v)).transpose()
    }

    /// One of `choices`, or `default` when absent.
    pub fn choice<'a>(
        &self,
        name: &str,
        choices: &[&'a str],
        default: &'a str,
    ) -> ApiResult<&'a str> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => choices.iter().find(|c| **c == v).copied().ok_or_else(|| {
                ApiError::parameter(
                    name,
                    format!("'{}' is not one of: {}", clip(v), choices.join(", ")),
                )
            }),
        }
    }
}

fn number(name: &str, v: &str) -> ApiResult<f64> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(ApiError::parameter(
            name,
            format!("'{}' is not a finite number", clip(v)),
        )),
        Err(_) => Err(ApiError::parameter(
            name,
            format!("'{}' is not a number", clip(v)),
        )),
    }
}

/// Parses a bounding box in lon/lat order: `minx,miny,maxx,maxy` or the 6-number 3D form.
pub fn parse_bbox(name: &str, v: &str) -> ApiResult<Rect<f64>> {
    let nums = v
        .split(',')
        .map(|s| number(name, s))
        .collect::<ApiResult<Vec<f64>>>()?;
    let (x0, y0, x1, y1) = match nums.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, d, e, _] => (*a, *b, *d, *e),
        _ => {
            return Err(ApiError::parameter(
                name,
                format!("expected 4 numbers minx,miny,maxx,maxy, got {}", nums.len()),
            ))
        }
    };
    if x0 > x1 || y0 > y1 {
        return Err(ApiError::parameter(
            name,
            "minimum greater than maximum (order: minx,miny,maxx,maxy)",
        ));
    }
    Ok(Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let e = Params::parse(Some("lon=1&lon=2"), &["lon"]).unwrap_err();
        assert!(e.message.contains("'lon'") && e.message.contains("more than once"));
        let e = Params::parse(Some("x=1"), &["lon", "lat"]).unwrap_err();
        assert!(e.message.contains("'x'") && e.message.contains("lon, lat"));
    }

    #[test]
    fn numbers_and_boxes() {
        let p = Params::parse(
            Some("lon=NaN&bbox=1,2,3,4&limit=-1"),
            &["lon", "bbox", "limit"],
        )
        .unwrap();
        assert!(p.f64("lon").unwrap_err().message.contains("finite"));
        let b = p.bbox("bbox").unwrap().unwrap();
        assert_eq!((b.min().x, b.max().y), (1.0, 4.0));
        assert!(p.uint("limit", 1).is_err());
        assert!(parse_bbox("bbox", "3,2,1,4").is_err());
        assert!(parse_bbox("bbox", "1,2,3").is_err());
        assert_eq!(parse_bbox("bbox", "1,2,0,3,4,9").unwrap().max().x, 3.0);
    }
}
