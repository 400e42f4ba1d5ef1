//! The endpoints, one module a resource; handlers are thin: they read the request
//! ([`crate::query`], [`crate::http`], [`crate::upload`]), call the engine or a resource, and
//! answer with a typed struct. [`crate::router`] puts them on their paths.
//!
//! - [`plans`]: the catalog, `/api/plans[.geojson]`.
//! - [`plan`]: `/api/plan`, `/api/layers`, `/api/layers/{id}.geojson`; [`preview`]: a layer's
//!   image and the printable check report.
//! - [`check`]: `POST /api/check`; [`batch`]: `POST /api/check/batch`; [`conflicts`]: the rule scan; [`identify`]: what lies at a
//!   point.
//! - [`history`]: the check history; [`admin`] and [`layer_import`]: the keeper's reload and
//!   layer import.
//! - [`health`]: `/healthz`, `/readyz` for load balancers.
//! - [`openapi`]: `/api/openapi.json`, generated from the types of the modules above;
//!   [`schemas`]: the GeoJSON schemas it names.
//! - [`tiles`], [`style`], [`fonts`]: the map; [`ogc`]: OGC API - Features; [`assets`]: the web
//!   front end.

pub mod across;
pub mod admin;
pub mod assets;
pub mod batch;
pub mod check;
pub mod conflicts;
pub mod fonts;
pub mod health;
pub mod history;
pub mod identify;
pub mod layer_import;
pub mod ogc;
pub mod openapi;
pub mod plan;
pub mod plans;
pub mod preview;
pub mod schemas;
pub mod style;
pub mod tiles;
