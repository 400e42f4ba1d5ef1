//! `PUT /api/admin/layers/{id}`: the data keeper replaces a layer with a file — what
//! `planmap import` does, over HTTP. The body is the file (GeoJSON, coordinate TXT, zipped
//! Shapefile, GeoPackage, KML, DXF; told as for a check's upload, [`crate::upload`]); it
//! becomes the layer's next version in the plan folder (the old versions stay on disk), and the
//! server serves it at once. Needs the keeper's token ([`crate::auth`]).
//!
//! Query: `input`, `crs` (as for a check), `name_field`, `id_field`, `where` (OGR SQL filter),
//! `source_layer`, `encoding`, `repair=true`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use planmap_io::import::{self, ImportError, ImportOptions, Quiet};
use planmap_io::{PlanDir, ReadOptions};
use serde_json::{json, Value};

use crate::api::{blocking, body_bytes};
use crate::auth::Keeper;
use crate::error::{clip, ApiError, ApiResult};
use crate::params::Params;
use crate::reload::reload_now;
use crate::state::AppState;

/// One import at a time: versions are numbered in order.
static IMPORTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Invalid(issues) => {
            let list: Vec<Value> = issues
                .iter()
                .take(100)
                .map(|i| json!({"id": clip(&i.id), "reason": i.reason}))
                .collect();
            ApiError::unprocessable(format!("{}", ImportError::Invalid(issues)))
                .with("invalid", list)
        }
        ImportError::Other(m) => ApiError::unprocessable(m),
    }
}

/// Replaces layer `id` with the uploaded file and serves it.
pub async fn import_layer(
    _: Keeper,
    State(st): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let params = Params::parse(
        q.as_deref(),
        &[
            "input",
            "crs",
            "name_field",
            "id_field",
            "where",
            "source_layer",
            "encoding",
            "repair",
        ],
    )?;
    let snap = st.snapshot();
    snap.layer_index(&id)?;
    let bytes = body_bytes(body, st.config().body_limit)?;
    let (bytes, named) = crate::multipart::unpack(&headers, bytes).await?;
    let input = crate::upload::input(&params, &headers, &bytes, named)?;
    let repair = params.choice("repair", &["true", "false"], "false")? == "true";
    let opts = ReadOptions {
        crs: input.crs,
        near_lon: snap.engine.plan.center.map(|c| c[0]),
        filter: params.get("where").map(str::to_string),
        source_layer: params.get("source_layer").map(str::to_string),
        encoding: params.get("encoding").map(str::to_string),
        format: Some(input.format),
        // A layer has as many features as it has (the farmland: tens of thousands); the
        // zip limits stay.
        limits: planmap_io::UploadLimits {
            max_features: usize::MAX,
            ..st.config().upload_limits
        },
    };
    let iopts = ImportOptions {
        name_field: params.get("name_field").map(str::to_string),
        id_field: params.get("id_field").map(str::to_string),
        repair,
    };
    let data_dir = st.config().data_dir.clone();
    let _one = IMPORTING.lock().await;
    let report = blocking(move || {
        let data = planmap_io::source::read_bytes(&bytes, input.format, &opts)
            .map_err(|e| ApiError::unprocessable(e.to_string()))?;
        let dir = PlanDir::open(&data_dir).map_err(|e| ApiError::internal(e.to_string()))?;
        import::import(&dir, &id, data, &iopts, &Quiet).map_err(import_error)
    })
    .await?;
    tracing::info!(layer = %report.layer, version = report.version, features = report.features, "layer imported over HTTP");
    let reloaded = reload_now(&st).await?;
    let mut v = report.to_json();
    // The folder's absolute path is the server's business, not the client's.
    v["file"] = json!(std::path::Path::new(&report.file)
        .file_name()
        .map(|f| f.to_string_lossy().to_string()));
    v["data_version"] = reloaded["data_version"].clone();
    Ok(Json(v))
}
