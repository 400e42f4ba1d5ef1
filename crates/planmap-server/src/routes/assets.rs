//! `GET /` and every path no API route takes: the web front end's files from `web/`.

use std::convert::Infallible;
use std::path::Path;

use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use tower::service_fn;
use tower_http::services::ServeDir;

use crate::error;

async fn missing(req: Request) -> Result<Response, Infallible> {
    let (method, uri) = (req.method().clone(), req.uri().clone());
    Ok(if method == Method::GET || method == Method::HEAD {
        error::not_found(method, uri).await.into_response()
    } else {
        error::method_not_allowed(method, uri).await.into_response()
    })
}

/// Static files of `dir`; paths that escape it or do not exist get the JSON 404, other
/// methods than GET and HEAD the JSON 405.
pub fn service(
    dir: &Path,
) -> ServeDir<
    impl tower::Service<Request, Response = Response, Error = Infallible, Future = impl Send> + Clone,
> {
    ServeDir::new(dir)
        .call_fallback_on_method_not_allowed(true)
        .fallback(service_fn(missing))
}
