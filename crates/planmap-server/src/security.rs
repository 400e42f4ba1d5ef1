//! Response headers that make the browser refuse what the app never does: scripts or frames
//! from elsewhere, sniffing a JSON or tile body into HTML, being framed by another site.
//!
//! The Content-Security-Policy is the web app's own needs and nothing more: its scripts,
//! styles, fonts and data from this origin; MapLibre's workers from `blob:` URLs; map images
//! as `blob:`/`data:`; inline style attributes (the panels set widths and colours); no
//! plugins, no `<base>` games, forms only to this origin, framing by nobody.

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;

use crate::state::AppState;

/// The policy of every page and answer.
pub const CSP: &str = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; \
child-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'";

/// The headers set on every response (a handler's own value, if any, is kept).
pub fn headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"),
        ),
    ]
}

/// [`CSP`] with basemap origins allowed for the images and fetches of their tiles.
pub fn csp_with_basemaps(origins: &[&str]) -> String {
    let list = origins.join(" ");
    CSP.replace("img-src 'self'", &format!("img-src 'self' {list}"))
        .replace("connect-src 'self'", &format!("connect-src 'self' {list}"))
}

/// The policy when basemaps come from other origins: `--basemap`'s, else every served plan's
/// (the web app moves between the catalog's plans in one page), each once. `None`: none.
fn basemap_csp(st: &AppState) -> Option<HeaderValue> {
    if let Some(b) = &st.config().basemap {
        return HeaderValue::from_str(&csp_with_basemaps(&[b.origin()?])).ok();
    }
    let plans = st.catalog().plans();
    if !plans.iter().any(|p| p.summary().basemap_origin.is_some()) {
        return None;
    }
    let summaries: Vec<_> = plans.iter().map(|p| p.summary()).collect();
    let mut origins: Vec<&str> = summaries
        .iter()
        .filter_map(|s| s.basemap_origin.as_deref())
        .collect();
    origins.sort_unstable();
    origins.dedup();
    HeaderValue::from_str(&csp_with_basemaps(&origins)).ok()
}

/// Puts [`headers`] on an answer, in one pass (static values: nothing is allocated unless a
/// plan draws a basemap from another origin, which the CSP then allows).
pub async fn set_headers(State(st): State<AppState>, mut resp: Response) -> Response {
    let basemap = basemap_csp(&st);
    let h = resp.headers_mut();
    for (name, value) in headers() {
        h.entry(name).or_insert(value);
    }
    if let Some(csp) = basemap {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use planmap_core::plan::Basemap;

    #[test]
    fn a_basemap_origin_is_allowed_for_images_and_fetches_only() {
        let origin = |url: &str| Basemap::from_url(url).origin().map(str::to_string);
        assert_eq!(
            origin("https://t0.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}").as_deref(),
            Some("https://t0.tianditu.gov.cn")
        );
        assert_eq!(
            origin("http://127.0.0.1:8088/{z}/{x}/{y}.png").as_deref(),
            Some("http://127.0.0.1:8088")
        );
        assert_eq!(origin("ftp://x/{z}"), None);
        let csp = csp_with_basemaps(&["https://t0.example"]);
        assert!(csp.contains("img-src 'self' https://t0.example data: blob:"));
        assert!(csp.contains("connect-src 'self' https://t0.example;"));
        let two = csp_with_basemaps(&["https://a.example", "http://b.example:81"]);
        assert!(two.contains("img-src 'self' https://a.example http://b.example:81 data:"));
        assert!(two.contains("connect-src 'self' https://a.example http://b.example:81;"));
        assert!(
            csp.contains("script-src 'self';"),
            "scripts stay this origin's alone"
        );
    }
}
