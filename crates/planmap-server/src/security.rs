//! Response headers that make the browser refuse what the app never does: scripts or frames
//! from elsewhere, sniffing a JSON or tile body into HTML, being framed by another site.
//!
//! The Content-Security-Policy is the web app's own needs and nothing more: its scripts,
//! styles, fonts and data from this origin; MapLibre's workers from `blob:` URLs; map images
//! as `blob:`/`data:`; inline style attributes (the panels set widths and colours); no
//! plugins, no `<base>` games, forms only to this origin, framing by nobody.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;

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

/// Puts [`headers`] on an answer, in one pass (static values: nothing is allocated).
pub async fn set_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    for (name, value) in headers() {
        h.entry(name).or_insert(value);
    }
    resp
}
