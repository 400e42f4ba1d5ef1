//! Report maps on the server (planmap-render): `POST /api/check?format=report`, the printable
//! HTML report with its map; `GET /api/layers/{id}/preview.png[?size=N]`, a layer over the
//! county. Without the `render` feature the report says its map was not rendered and the
//! preview is a 501.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use planmap_core::{CheckReport, Engine};
use planmap_render::report::today_utc;
use planmap_render::{check_report_page, layer_preview, RenderError};
use serde::Deserialize;

use crate::catalog::extract::Loaded;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::blocking;
use crate::query::Query;

/// The side of a report's map in pixels.
pub const REPORT_MAP_SIZE: u32 = 1024;

fn render_error(e: RenderError) -> ApiError {
    let status = match e {
        RenderError::Disabled => StatusCode::NOT_IMPLEMENTED,
        RenderError::NoAdapter(_) => StatusCode::SERVICE_UNAVAILABLE,
        RenderError::Size(_) => StatusCode::BAD_REQUEST,
        RenderError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::new(status, e.to_string())
}

/// The check report as a self-contained HTML page (blocking: renders the map).
pub fn check_report(engine: &Engine, report: &CheckReport) -> Response {
    html_page(check_report_html(engine, report))
}

/// The check report's HTML (blocking: renders the map).
pub fn check_report_html(engine: &Engine, report: &CheckReport) -> String {
    let (html, error) = check_report_page(engine, report, REPORT_MAP_SIZE, today_utc());
    if let Some(e) = error {
        tracing::warn!("report without a map: {e}");
    }
    html
}

/// An HTML page as an answer.
pub fn html_page(html: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The query of a layer preview.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The image's side in pixels, 64..2048 (default 512).
    pub size: Option<u32>,
}

/// `GET /api/layers/{id}/preview.png[?size=64..2048]`: the layer over the county, rendered.
#[utoipa::path(get, path = "/api/layers/{id}/preview.png", tag = "plan", params(
        ("id" = String, Path, description = "The layer's id"), PreviewQuery),
    responses((status = 200, description = "The layer over the county", content_type = "image/png", body = Vec<u8>),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        (status = 404, description = "No such layer", body = ErrorBody),
        (status = 501, description = "This server was built without map rendering", body = ErrorBody),
        (status = 503, description = "No graphics adapter, or busy", body = ErrorBody)))]
pub async fn preview(
    Loaded(snap): Loaded,
    Path(id): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> ApiResult<Response> {
    let size = match q.size {
        None => 512,
        Some(s) if (64..=2048).contains(&s) => s,
        Some(s) => {
            return Err(ApiError::parameter(
                "size",
                format!("'{s}' is not a size in 64..2048"),
            ))
        }
    };
    blocking(move || {
        let map = layer_preview(&snap.engine, Some(&id))
            .ok_or_else(|| ApiError::not_found(format!("no such layer: '{id}'")))?;
        let png = map.render(size).map_err(render_error)?;
        Ok(([(header::CONTENT_TYPE, "image/png")], png.0).into_response())
    })
    .await
}
