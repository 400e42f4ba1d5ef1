//! Site and layer files sent as an HTML form (`multipart/form-data`, what `<input type=file>`
//! and `curl -F file=@site.zip` send) rather than as the raw body: the file part is taken
//! out, and its file name tells the format unless `?input=` does.

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use planmap_io::Format;

use crate::error::{clip, ApiError, ApiResult};

/// The body to read and the format the form's file name tells. A body that is not a form
/// is returned as it came.
pub async fn unpack(headers: &HeaderMap, body: Bytes) -> ApiResult<(Bytes, Option<Format>)> {
    let (bytes, format, _) = unpack_named(headers, body).await?;
    Ok((bytes, format))
}

/// [`unpack`], with the form's file name (a batch's history keeps it).
pub async fn unpack_named(
    headers: &HeaderMap,
    body: Bytes,
) -> ApiResult<(Bytes, Option<Format>, Option<String>)> {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
    else {
        return Ok((body, None, None));
    };
    let boundary = multer::parse_boundary(ct).map_err(|e| {
        ApiError::bad_request(format!("multipart body: {e} (Content-Type: {})", clip(ct)))
    })?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let bad = |e: multer::Error| ApiError::bad_request(format!("multipart body: {e}"));
    let mut named_file = None;
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let file_name = field.file_name().map(str::to_string);
        let is_file = field.name() == Some("file");
        if file_name.is_none() && !is_file {
            continue;
        }
        let format = file_name
            .as_deref()
            .and_then(|n| Format::from_path(std::path::Path::new(n)));
        let bytes = field.bytes().await.map_err(bad)?;
        if file_name.is_some() {
            return Ok((bytes, format, file_name));
        }
        named_file.get_or_insert((bytes, format, None));
    }
    named_file.ok_or_else(|| {
        ApiError::bad_request(
            "multipart body: no file in the form (send the site file in a part named 'file')",
        )
    })
}
