//! `PUT /api/admin/layers/{id}`: the data keeper replaces a layer with a file — what
//! `planmap import` does, over HTTP. The body is the file (GeoJSON, coordinate TXT, zipped
//! Shapefile, GeoPackage, KML, DXF; told as for a check's upload, [`crate::upload`]); it
//! becomes the layer's next version in the plan folder (the old versions stay on disk) or in
//! the database (`--db`: one transaction, the old versions kept), and the server serves it at
//! once; the other replicas of a database are notified. Needs the keeper's token ([`crate::auth`]).
//!
//! Query: `input`, `crs` (as for a check), `name_field`, `id_field`, `where` (OGR SQL filter),
//! `source_layer`, `encoding`, `repair=true`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use planmap_io::import::{self, ImportError, ImportOptions, ImportReport, Quiet};
use planmap_io::{PlanDir, ReadOptions};
use serde::{Deserialize, Serialize};

use crate::catalog::extract::{load, PlanRef};
use crate::catalog::source::PlanSource;
use crate::error::{clip, ApiError, ApiResult, ErrorBody, RETRY_AFTER_S};
use crate::guards::Keeper;
use crate::http::{blocking, body_bytes};
use crate::query::Query;
use crate::reload::reload_now;
use crate::routes::schemas::KeeperRefusals;
use crate::state::AppState;

/// One import at a time: versions are numbered in order.
static IMPORTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Invalid(issues) => {
            let list: Vec<import::Issue> = issues
                .iter()
                .take(100)
                .map(|i| import::Issue {
                    id: clip(&i.id),
                    reason: i.reason.clone(),
                })
                .collect();
            ApiError::unprocessable(format!("{}", ImportError::Invalid(issues)))
                .with("invalid", serde_json::to_value(list).unwrap_or_default())
        }
        ImportError::Empty => ApiError::unprocessable(e.to_string()),
        ImportError::UnknownLayer { ref layer, .. } => {
            let layer = clip(layer);
            ApiError::not_found(e.to_string()).with("layer", layer)
        }
        ImportError::Store(ref s) => {
            tracing::error!(error = %s, "layer import: the plan folder");
            ApiError::internal("the layer could not be written to the plan folder (logged)")
        }
        ImportError::Target(ref s) => {
            tracing::error!(error = %s, "layer import: the database");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database did not take the new version; nothing changed, try again later",
            )
            .retry_after(RETRY_AFTER_S)
        }
    }
}

/// Writes an import's features as the layer's new version in the database, switched to in
/// the same transaction (call it on a blocking thread).
fn into_db(
    db: &planmap_pg::Db,
    plan: &str,
    layer: &str,
    features: &[planmap_core::Feature],
) -> Result<import::Written, ImportError> {
    let done = tokio::runtime::Handle::current()
        .block_on(planmap_pg::import_layer(
            db,
            plan,
            layer,
            features,
            "PUT /api/admin/layers",
        ))
        .map_err(|e| ImportError::Target(e.to_string()))?;
    Ok(import::Written {
        version: u32::try_from(done.version).unwrap_or(0),
        file: format!("PostgreSQL {}", db.at()),
        bytes: 0,
    })
}

/// The query of `PUT /api/admin/layers/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// As for a check ([`crate::routes::check::CheckQuery`]).
    pub input: Option<String>,
    /// As for a check.
    pub crs: Option<String>,
    /// The attribute that becomes each feature's `name`.
    pub name_field: Option<String>,
    /// The attribute that becomes each feature's id.
    pub id_field: Option<String>,
    /// An OGR SQL filter of the features to take.
    #[serde(rename = "where")]
    #[param(rename = "where")]
    pub filter: Option<String>,
    /// The layer of a multi-layer file (GeoPackage, FileGDB).
    pub source_layer: Option<String>,
    /// The attribute encoding (e.g. GBK) when the file does not say.
    pub encoding: Option<String>,
    /// Make invalid geometries valid instead of refusing the file.
    pub repair: Option<bool>,
}

/// What an import did, and the data version served since.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Imported {
    #[serde(flatten)]
    pub report: ImportReport,
    pub data_version: String,
}

/// Replaces layer `id` with the uploaded file and serves it.
#[utoipa::path(put, path = "/api/admin/layers/{id}", tag = "admin", params(
        ("id" = String, Path, description = "The layer's id"), ImportQuery),
    security(("keeper" = [])),
    request_body(description = "The layer's file (GeoJSON, coordinate TXT, zipped Shapefile, \
        GeoPackage, KML, DXF), raw or as multipart/form-data", content_type = "application/octet-stream"),
    responses((status = 200, description = "The new version, served", body = Imported),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        KeeperRefusals,
        (status = 404, description = "No such layer, or no token on this server", body = ErrorBody),
        (status = 413, description = "The body, or the file's unpacked size or reading time or \
            memory, is over its limit (`limit` names it)", body = ErrorBody),
        (status = 415, description = "A file of a kind planmap does not read", body = ErrorBody),
        (status = 422, description = "The file cannot be read or holds invalid geometries", body = ErrorBody),
        (status = 500, description = "The server's file reader failed", body = ErrorBody),
        (status = 503, description = "Out of time", body = ErrorBody)))]
pub async fn import_layer(
    _: Keeper,
    State(st): State<AppState>,
    plan: PlanRef,
    Path(id): Path<String>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Imported>> {
    let snap = load(&st, &plan.plan).await?;
    snap.layer_index(&id)?;
    let bytes = body_bytes(body, st.config().body_limit)?;
    let (bytes, named) = crate::multipart::unpack(&headers, bytes).await?;
    let input = crate::upload::input(
        (q.input.as_deref(), q.crs.as_deref()),
        &headers,
        &bytes,
        named,
    )?;
    let repair = q.repair.unwrap_or(false);
    let opts = ReadOptions {
        crs: input.crs,
        near_lon: snap.engine.plan.center.map(|c| c[0]),
        filter: q.filter,
        source_layer: q.source_layer,
        encoding: q.encoding,
        format: Some(input.format),
        // A layer has as many features as it has (the farmland: tens of thousands); the
        // zip limits stay.
        limits: planmap_io::UploadLimits {
            max_features: usize::MAX,
            ..st.config().upload_limits
        },
    };
    let iopts = ImportOptions {
        name_field: q.name_field,
        id_field: q.id_field,
        repair,
    };
    let source = plan.plan.source.clone();
    let (plan_id, manifest) = (plan.plan.id.clone(), snap.engine.plan.clone());
    let _one = IMPORTING.lock().await;
    let format = input.format;
    let (sandbox, time_limit) = (&st.config().reader, st.config().request_timeout);
    let data = crate::upload::read_with(sandbox, time_limit, "uploaded file", move |sb, job| {
        sb.read_bytes(&bytes, format, &opts, job)
    })
    .await?;
    let report = blocking(move || match &source {
        PlanSource::Folder(data_dir) => {
            let dir = PlanDir::open(data_dir).map_err(|e| ApiError::internal(e.to_string()))?;
            import::import(&dir, &id, data, &iopts, &Quiet).map_err(import_error)
        }
        PlanSource::Db(db) => import::import_with(&manifest, &id, data, &iopts, &Quiet, |fs| {
            into_db(db, &plan_id, &id, fs)
        })
        .map_err(import_error),
    })
    .await?;
    tracing::info!(layer = %report.layer, version = report.version, features = report.features, "layer imported over HTTP");
    let reloaded = reload_now(&st, &plan.plan).await?;
    let mut report = report;
    if plan.plan.source.folder().is_some() {
        // The folder's absolute path is the server's business, not the client's.
        report.file = std::path::Path::new(&report.file)
            .file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default();
    }
    Ok(Json(Imported {
        report,
        data_version: reloaded.data_version,
    }))
}
