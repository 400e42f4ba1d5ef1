//! `GET /` and every path no API route takes: the web front end's files from `web/`.

use std::convert::Infallible;
use std::path::Path;

use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tower::{service_fn, ServiceExt};
use tower_http::services::ServeDir;

use crate::error;

/// The longest file name a file system holds (NAME_MAX): a longer segment names no file.
const NAME_MAX: usize = 255;

async fn missing(req: Request) -> Result<Response, Infallible> {
    let (method, uri) = (req.method().clone(), req.uri().clone());
    Ok(if method == Method::GET || method == Method::HEAD {
        error::not_found(method, uri).await.into_response()
    } else {
        error::method_not_allowed(method, uri).await.into_response()
    })
}

/// Whether a segment of `path`, decoded, is longer than any file name can be.
fn overlong(path: &str) -> bool {
    path.split('/')
        .any(|seg| seg.len() > NAME_MAX && percent_decode_str(seg).count() > NAME_MAX)
}

/// Static files of `dir`; paths that escape it, do not exist or could not name a file (a
/// segment over 255 bytes) get the JSON 404, other methods than GET and HEAD the JSON 405.
pub fn service(
    dir: &Path,
) -> impl tower::Service<Request, Response = Response, Error = Infallible, Future = impl Send>
       + Clone
       + Send
       + Sync
       + 'static {
    let files = ServeDir::new(dir)
        .call_fallback_on_method_not_allowed(true)
        .fallback(service_fn(missing));
    service_fn(move |req: Request| {
        let files = files.clone();
        async move {
            if overlong(req.uri().path()) {
                return missing(req).await;
            }
            files.oneshot(req).await.map(IntoResponse::into_response)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::overlong;

    #[test]
    fn segments_longer_than_a_file_name() {
        assert!(!overlong(&format!("/assets/{}", "a".repeat(255))));
        assert!(overlong(&format!("/assets/{}", "a".repeat(256))));
        assert!(
            overlong(&format!("/{}/x", "é".repeat(128))),
            "bytes, not characters"
        );
        // 86 escapes decode to 86 bytes: a possible name.
        assert!(!overlong(&format!("/{}", "%41".repeat(86))));
    }
}
