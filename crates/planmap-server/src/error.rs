//! API errors: every refusal is a 4xx with a JSON body `{"error": "...", "status": N, ...}`
//! that names what is wrong, so a person (or a client) can fix the request.

use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};

/// Seconds a client refused for load or time (503) is told to wait (`Retry-After`).
pub const RETRY_AFTER_S: u64 = 2;

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Extra members of the JSON body (e.g. `parameter`, `layer`).
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header (a 503 the client may retry).
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    /// Tells the client to retry after `seconds` (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// A query or path parameter that is missing or malformed.
    pub fn parameter(name: &str, message: impl std::fmt::Display) -> Self {
        Self::bad_request(format!("parameter '{name}': {message}")).with("parameter", name)
    }

    /// A layer id the plan does not define.
    pub fn unknown_layer(id: &str, known: impl IntoIterator<Item = String>) -> Self {
        let known: Vec<String> = known.into_iter().collect();
        Self::not_found(format!(
            "unknown layer '{}' (the plan's layers: {})",
            clip(id),
            known.join(", ")
        ))
        .with("layer", clip(id))
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}

/// User input echoed in a message, cut to a readable length.
pub fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// The JSON body of every refusal: what is wrong, the status, and members naming what is at
/// fault (`parameter`, `layer`, `limit`, `reason`, …).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What is wrong, in words a person can act on.
    pub error: String,
    /// The HTTP status code of the answer.
    pub status: u16,
    /// Members naming what is at fault, e.g. `"parameter": "lon"`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            status: self.status.as_u16(),
            extra: self.extra,
        };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        r
    }
}

/// The answer for a path no route serves.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no such resource: {method} {}", clip(uri.path())))
        .with("path", clip(uri.path()))
}

/// The answer for a known path asked with a method it does not take.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not accept {method}", clip(uri.path())),
    )
}

/// Any error answer that is not JSON yet (a static file's I/O failure, a framework's plain
/// text refusal) rewritten as [`ErrorBody`], so every 4xx and 5xx is JSON. A short plain-text
/// body is kept as the message; a 5xx's is replaced (it may name internals). Headers such as
/// `Allow` and `Retry-After` are kept.
pub async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = |r: &Response| {
        r.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/") && v.contains("json"))
    };
    if !(status.is_client_error() || status.is_server_error()) || is_json(&resp) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    let mut message = match status {
        StatusCode::INTERNAL_SERVER_ERROR => {
            "internal error: the request could not be completed".to_string()
        }
        s => s.canonical_reason().unwrap_or("error").to_string(),
    };
    if text && status.is_client_error() {
        if let Ok(b) = axum::body::to_bytes(body, 4096).await {
            let t = String::from_utf8_lossy(&b).trim().to_string();
            if !t.is_empty() {
                message = clip(&t);
            }
        }
    }
    let fresh = ApiError::new(status, message).into_response();
    for h in [
        header::CONTENT_ENCODING,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
    ] {
        parts.headers.remove(h);
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let (_, body) = fresh.into_parts();
    Response::from_parts(parts, body)
}
