//! `GET /` and every path no API route takes: the web front end — the built app embedded in
//! the binary at compile time (`web/dist`, made by `make web`), or a folder (`--web DIR`).

use std::borrow::Cow;
use std::convert::Infallible;
use std::path::Path;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tower::util::BoxCloneSyncService;
use tower::{service_fn, ServiceExt};
use tower_http::services::ServeDir;

use crate::error::{self, ApiError};
use crate::http::cached;

/// The web app as built when the server was compiled (`web/dist`; empty when it was missing:
/// `build.rs` warns then, and [`has_built_in`] says so at run time).
#[derive(rust_embed::Embed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct BuiltIn;

/// Whether this binary holds a built web app.
pub fn has_built_in() -> bool {
    BuiltIn::get("index.html").is_some()
}

/// The files of the built-in app, by path (`index.html`, `assets/…`): what `planmap publish`
/// copies into a static site.
pub fn built_in_files() -> impl Iterator<Item = (String, Cow<'static, [u8]>)> {
    BuiltIn::iter().filter_map(|name| BuiltIn::get(&name).map(|f| (name.to_string(), f.data)))
}

/// What `GET /` answers when the binary holds no web app and no `--web` folder was given.
pub const NO_WEB_APP: &str = "this planmap was built without its web app (web/dist was missing \
     when it was compiled): run `make web` and build again, or serve a folder with --web DIR";

/// The web front end's service: the files of `dir` when given, else the built-in app.
pub type WebService = BoxCloneSyncService<Request, Response, Infallible>;

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

/// Static files of `dir` when given, else of the built-in app: paths that escape it, do not
/// exist or could not name a file (a segment over 255 bytes) get the JSON 404, other methods
/// than GET and HEAD the JSON 405.
pub fn service(dir: Option<&Path>) -> WebService {
    match dir {
        Some(dir) => {
            let files = ServeDir::new(dir)
                .call_fallback_on_method_not_allowed(true)
                .fallback(service_fn(missing));
            BoxCloneSyncService::new(service_fn(move |req: Request| {
                let files = files.clone();
                async move {
                    if overlong(req.uri().path()) {
                        return missing(req).await;
                    }
                    files.oneshot(req).await.map(IntoResponse::into_response)
                }
            }))
        }
        None => BoxCloneSyncService::new(service_fn(built_in)),
    }
}

/// The embedded file a request path names: `/` and `…/` are their `index.html`.
fn file_name(path: &str) -> Option<String> {
    let path = percent_decode_str(path).decode_utf8().ok()?;
    let path = path.trim_start_matches('/');
    Some(if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    })
}

/// Hashed bundles (`assets/index-3f2a….js`) never change under their name; pages are
/// revalidated (their ETag is the file's SHA-256).
fn cache_control(name: &str) -> &'static str {
    if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

async fn built_in(req: Request) -> Result<Response, Infallible> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return missing(req).await;
    }
    let Some(name) = file_name(req.uri().path()) else {
        return missing(req).await;
    };
    let Some(file) = BuiltIn::get(&name) else {
        if !has_built_in() {
            return Ok(ApiError::not_found(NO_WEB_APP).into_response());
        }
        return missing(req).await;
    };
    let etag: String = file.metadata.sha256_hash()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mime = mime_guess::from_path(&name)
        .first_raw()
        .unwrap_or("application/octet-stream");
    let body = match file.data {
        Cow::Borrowed(b) => Bytes::from_static(b),
        Cow::Owned(v) => Bytes::from(v),
    };
    Ok(cached(
        req.headers(),
        &etag,
        cache_control(&name),
        mime,
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_files() {
        assert_eq!(file_name("/").as_deref(), Some("index.html"));
        assert_eq!(file_name("/report.html").as_deref(), Some("report.html"));
        assert_eq!(file_name("/a/").as_deref(), Some("a/index.html"));
        assert_eq!(
            file_name("/assets/x%20y.js").as_deref(),
            Some("assets/x y.js")
        );
        assert_eq!(file_name("/%ff"), None);
    }

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
