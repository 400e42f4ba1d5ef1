//! What a record is: [`NewRecord`] to write, [`Record`] as read, its [`Source`] and limits.

use serde::Serialize;
use serde_json::value::RawValue;

/// The verdicts a record may carry (planmap-core's `Verdict::zh`).
pub const VERDICTS: [&str; 3] = ["不通过", "需论证", "通过"];
/// Most characters in a project name or applicant.
pub const MAX_NAME_CHARS: usize = 200;
/// Most bytes of a site's GeoJSON (the server's request bodies are smaller).
pub const MAX_SITE_BYTES: usize = 64 * 1024 * 1024;

/// Where a check came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `POST /api/check` by a program.
    Api,
    /// The web app's site-check panel.
    Web,
    /// The command line.
    Cli,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Web => "web",
            Source::Cli => "cli",
        }
    }

    /// `"api"`, `"web"` or `"cli"`.
    pub fn parse(s: &str) -> Option<Source> {
        [Source::Api, Source::Web, Source::Cli]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A check to record.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// When the check was answered: RFC 3339 UTC (`Z` or `+00:00`); stored to the millisecond
    /// as `YYYY-MM-DDTHH:MM:SS.mmmZ`. [`crate::time::now_rfc3339`] gives the current one.
    pub time: String,
    /// The site as a GeoJSON geometry object (lon/lat), stored as given.
    pub site: String,
    /// One of [`VERDICTS`].
    pub verdict: String,
    pub site_area_m2: f64,
    /// The per-layer overlap areas, a JSON array or object (stored as given).
    pub overlaps: serde_json::Value,
    /// The data version the check ran against.
    pub data_version: String,
    pub source: Source,
    /// Optional, user-supplied; trimmed, empty = none, at most [`MAX_NAME_CHARS`].
    pub project: Option<String>,
    /// Optional, user-supplied; trimmed, empty = none, at most [`MAX_NAME_CHARS`].
    pub applicant: Option<String>,
    /// Optional client key of one check asked for more than once (a web page asks for the
    /// report and for the GeoJSON of the same check): see [`crate::History::record`]. 8 to 64 of
    /// `A-Z a-z 0-9 - _`.
    pub key: Option<String>,
    /// The id of the plan whose verdict this is (a catalog serves many); at most
    /// [`MAX_NAME_CHARS`].
    pub plan: Option<String>,
}

/// Where a site of a batch check came from: the batch, the uploaded file, the feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRef {
    /// The batch's id (1 to 64 of `A-Z a-z 0-9 - _`), the same on every site of one upload.
    pub id: String,
    /// The uploaded file's name, when the upload had one (at most 200 characters).
    pub file: Option<String>,
    /// The feature's 1-based number in the file.
    pub feature: i64,
}

/// A recorded check. `site` and `overlaps` are the stored JSON text, verbatim.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Record {
    pub id: i64,
    pub time: String,
    pub verdict: String,
    pub site_area_m2: f64,
    /// The per-layer overlaps as recorded (the server writes an array of objects).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub overlaps: Box<RawValue>,
    pub data_version: String,
    pub source: String,
    pub project: Option<String>,
    pub applicant: Option<String>,
    /// The plan whose verdict this is (null: recorded before plans were).
    pub plan: Option<String>,
    /// The site as checked: a GeoJSON geometry object (lon/lat).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub site: Box<RawValue>,
    /// The batch the check was part of (absent for a single check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchRef>,
}
