//! UTC timestamps as RFC 3339 text in one fixed-width form, `YYYY-MM-DDTHH:MM:SS.mmmZ`, so
//! that text order is time order (the store compares and sorts them as text).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::HistoryError;

/// The current time as `YYYY-MM-DDTHH:MM:SS.mmmZ` (the one clock of the crate, for callers).
pub fn now_rfc3339() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A UTC time in the stored form. Accepts RFC 3339 with `Z` or `+00:00` (other offsets are
/// refused: the caller converts), any number of fractional digits (kept to the millisecond,
/// truncated), and — for range filters — a bare date `YYYY-MM-DD` (its midnight).
pub fn canonical(text: &str) -> Result<String, HistoryError> {
    let bad = |why: &str| HistoryError::Invalid(format!("time {:?}: {why}", clip(text)));
    let b = text.as_bytes();
    if !b.is_ascii() {
        return Err(bad("not an RFC 3339 UTC time like 2026-11-28T09:30:00Z"));
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let date_ok = b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    let (Some(y), Some(mo), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(bad("not an RFC 3339 UTC time like 2026-11-28T09:30:00Z"));
    };
    if !date_ok || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(bad("no such date"));
    }
    if b.len() == 10 {
        return Ok(format!("{y:04}-{mo:02}-{d:02}T00:00:00.000Z"));
    }
    let (Some(h), Some(mi), Some(s)) = (num(11..13), num(14..16), num(17..19)) else {
        return Err(bad("not an RFC 3339 UTC time like 2026-11-28T09:30:00Z"));
    };
    if !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return Err(bad("not an RFC 3339 UTC time like 2026-11-28T09:30:00Z"));
    }
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad("no such time of day"));
    }
    let mut rest = &text[19..];
    let mut millis = String::new();
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad("a '.' with no fraction digits"));
        }
        millis = frac[..n.min(3)].to_string();
        rest = &frac[n..];
    }
    while millis.len() < 3 {
        millis.push('0');
    }
    if !matches!(rest, "Z" | "z" | "+00:00" | "-00:00") {
        return Err(bad("needs the UTC offset Z (or +00:00)"));
    }
    Ok(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{millis}Z"
    ))
}

/// The end of a `to` bound: [`canonical`], except that a bare date means the end of that day
/// (the next day's midnight, as the bound is exclusive). The last day a timestamp can name,
/// 9999-12-31, ends at its `T24:00:00.000Z` (ISO 8601's end of a day), which sorts after
/// every time of that day.
pub fn canonical_end(text: &str) -> Result<String, HistoryError> {
    let t = canonical(text)?;
    if text.len() != 10 {
        return Ok(t);
    }
    if t.starts_with("9999-12-31") {
        return Ok("9999-12-31T24:00:00.000Z".to_string());
    }
    let (y, m, d): (u32, u32, u32) = (
        t[0..4].parse().unwrap_or(0),
        t[5..7].parse().unwrap_or(0),
        t[8..10].parse().unwrap_or(0),
    );
    let (y, m, d) = if d < days_in_month(y, m) {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y + 1, 1, 1)
    };
    Ok(format!("{y:04}-{m:02}-{d:02}T00:00:00.000Z"))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// At most 40 characters of a user's text, for error messages.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(
            canonical("2026-11-28T09:30:00Z").unwrap(),
            "2026-11-28T09:30:00.000Z"
        );
        assert_eq!(
            canonical("2026-11-28t09:30:00.123456+00:00").unwrap(),
            "2026-11-28T09:30:00.123Z"
        );
        assert_eq!(canonical("2024-02-29").unwrap(), "2024-02-29T00:00:00.000Z");
        for bad in [
            "",
            "2026-11-28T09:30:00+08:00",
            "2026-11-28T09:30:00",
            "2023-02-29",
            "2026-13-01",
            "2026-11-28T24:00:00Z",
            "2026-11-28T09:30:00.Z",
            "２０２６-11-28",
            "2026-1-28T09:30:00Z",
        ] {
            assert!(canonical(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn end_of_a_day() {
        assert_eq!(
            canonical_end("2024-02-28").unwrap(),
            "2024-02-29T00:00:00.000Z"
        );
        assert_eq!(
            canonical_end("2026-12-31").unwrap(),
            "2027-01-01T00:00:00.000Z"
        );
        assert_eq!(
            canonical_end("2026-11-28T10:00:00Z").unwrap(),
            "2026-11-28T10:00:00.000Z"
        );
        // The last day: still four digits of year, after its last millisecond.
        let end = canonical_end("9999-12-31").unwrap();
        assert!(end.as_str() > "9999-12-31T23:59:59.999Z" && end.len() == 24);
        assert!(end.as_str() > now_rfc3339().as_str());
    }

    #[test]
    fn civil_dates() {
        // 1970-01-01 is day 0; 2000-03-01 is day 11017; 2026-11-28 is day 20785.
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        let now = now_rfc3339();
        assert_eq!(canonical(&now).unwrap(), now);
    }
}
