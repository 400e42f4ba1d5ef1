//! HTTP helpers shared by the handlers: the server's absolute URLs, conditional
//! responses with ETags, typed bodies, request bodies read within their limit, CPU work off
//! the async threads.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{clip, ApiError, ApiResult};

pub const GEOJSON: &str = "application/geo+json";
pub const JSON: &str = "application/json";
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
pub const PROTOBUF: &str = "application/x-protobuf";

/// `scheme://host[:port][/prefix]` of the server, for the absolute URLs of styles, TileJSON
/// and OGC links ([`UrlPolicy`] says where it comes from; never the request's `Host`).
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl BaseUrl {
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// The path a request's plan is served under (`/plans/{plan}`), when the request named it:
/// the answers' absolute URLs then point at the plan's own paths.
#[derive(Debug, Clone)]
pub struct PathPrefix(pub String);

/// Where absolute URLs come from, in order: the configured public URL; with `trust_proxy`,
/// a proxy's `X-Forwarded-Host` (and `X-Forwarded-Proto`); else the listening address. The
/// `Host` header is never used: a cache in front would serve one client's host to all.
/// The router puts it in every request's extensions.
#[derive(Debug, Clone)]
pub struct UrlPolicy {
    /// `--public-url`, without a trailing slash.
    pub public: Option<String>,
    pub trust_proxy: bool,
    /// `http://ADDR` of the listening socket.
    pub local: String,
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
}

/// The first value of a proxy header (a chain of proxies appends with commas).
fn forwarded<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    let v = parts.headers.get(name)?.to_str().ok()?;
    Some(v.split(',').next().unwrap_or("").trim())
}

impl UrlPolicy {
    /// A public URL as configured: `http(s)://host[:port][/path]`, returned without a
    /// trailing slash.
    pub fn check_public(url: &str) -> Result<String, String> {
        let bad = |why: &str| format!("'{}': {why}", clip(url));
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| bad("expected http:// or https://"))?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_host(host) {
            return Err(bad("no valid host"));
        }
        let path_ok = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/%!$&'()*+,;=:@".contains(&b));
        if !path_ok {
            return Err(bad("the path may not hold a query, fragment or spaces"));
        }
        Ok(url.trim_end_matches('/').to_string())
    }

    fn base(&self, parts: &Parts) -> Result<BaseUrl, ApiError> {
        if let Some(p) = &self.public {
            return Ok(BaseUrl(p.clone()));
        }
        if self.trust_proxy {
            if let Some(host) = forwarded(parts, "x-forwarded-host") {
                if !valid_host(host) {
                    return Err(ApiError::bad_request(format!(
                        "X-Forwarded-Host '{}' is not a host name or address",
                        clip(host)
                    )));
                }
                let https = forwarded(parts, "x-forwarded-proto")
                    .is_some_and(|v| v.eq_ignore_ascii_case("https"));
                let scheme = if https { "https" } else { "http" };
                return Ok(BaseUrl(format!("{scheme}://{host}")));
            }
        }
        Ok(BaseUrl(self.local.clone()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut base = match parts.extensions.get::<UrlPolicy>() {
            Some(p) => p.base(parts)?,
            None => return Err(ApiError::internal("internal error: no URL policy")),
        };
        if let Some(PathPrefix(prefix)) = parts.extensions.get::<PathPrefix>() {
            base.0.push_str(prefix);
        }
        Ok(base)
    }
}

/// A body with its type, an ETag and a Cache-Control policy; answers 304 when the client's
/// `If-None-Match` already names the ETag.
pub fn cached(
    req_headers: &HeaderMap,
    etag: &str,
    cache_control: &'static str,
    content_type: &'static str,
    body: Bytes,
) -> Response {
    let etag = format!("\"{etag}\"");
    let matches = req_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = body.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    resp
}

/// A body of the given content type.
pub fn typed(content_type: &'static str, body: impl Into<Bytes>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.into(),
    )
        .into_response()
}

/// A 64-bit FNV-1a hash in hex, for ETags of derived content.
pub fn hash_hex(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

/// `Path` whose rejection (e.g. a segment that is not valid percent-encoded UTF-8) is a JSON
/// 400 like every other refusal.
#[derive(Debug)]
pub struct JsonPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for JsonPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| JsonPath(p.0))
            .map_err(|e| ApiError::bad_request(format!("path: {}", e.body_text())))
    }
}

/// A typed answer serialised once (answers cached per snapshot).
pub fn json_bytes<T: Serialize>(value: &T) -> ApiResult<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(format!("could not write the answer: {e}")))
}

/// A typed answer as a JSON body, serialised straight into one buffer sized for a check's
/// report (no intermediate value, no regrowth for a usual answer).
pub fn json<T: Serialize>(value: &T) -> ApiResult<Response> {
    let mut body = Vec::with_capacity(4096);
    serde_json::to_writer(&mut body, value)
        .map_err(|e| ApiError::internal(format!("could not write the answer: {e}")))?;
    Ok(typed(JSON, body))
}

/// Runs CPU-heavy work off the async threads; a heavy request's slot stays held until it
/// returns ([`crate::work::blocking`], which also hands work its request's cancel flag).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    crate::work::blocking(move |_| f()).await
}

/// The body of a request as UTF-8 text (borrowed, not copied).
pub fn utf8(bytes: &[u8]) -> ApiResult<&str> {
    std::str::from_utf8(bytes)
        .map_err(|e| ApiError::bad_request(format!("request body is not UTF-8 text: {e}")))
}

/// The body of a request, refusing oversize and empty bodies by name.
pub fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> ApiResult<Bytes> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than the limit of {limit} bytes"),
            )
            .with("limit_bytes", limit)
        } else {
            ApiError::bad_request(format!("could not read the request body: {e}"))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "empty body: send a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection",
        ));
    }
    Ok(bytes)
}
