//! HTTP helpers shared by the handlers: absolute URLs from the request's host, conditional
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

/// `scheme://host[:port]` of the request, for the absolute URLs of styles, TileJSON and OGC
/// links. The host comes from the `Host` header (HTTP/1.1) or the URI's authority (HTTP/2),
/// the scheme from `X-Forwarded-Proto` when a proxy says `https`.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl BaseUrl {
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
}

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| parts.uri.authority().map(|a| a.to_string()))
            .ok_or_else(|| ApiError::bad_request("the request has no Host header"))?;
        if !valid_host(&host) {
            return Err(ApiError::bad_request(format!(
                "Host header '{}' is not a host name or address",
                clip(&host)
            )));
        }
        let https = parts
            .headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        let scheme = if https { "https" } else { "http" };
        Ok(BaseUrl(format!("{scheme}://{host}")))
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

/// Runs CPU-heavy work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
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
