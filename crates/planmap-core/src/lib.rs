//! planmap-core: the domain of a county spatial plan, free of I/O.
//!
//! - [`plan`]: the manifest's shape: layers (with their [`plan::Role`]s), rules, indicators;
//!   [`draw`]: how each layer is drawn, completed with defaults.
//!   [`postgis`]: a layer kept in the keeper's PostGIS table (`[layers.postgis]`).
//! - [`feature`]: features with stable ids and [`attributes`] (kept as compact JSON text).
//! - [`store`]: the trait layer sources implement (files today, a database later).
//! - [`engine`]: the loaded, indexed plan; its operations: [`areas`] (a site's overlap
//!   areas), [`check`] (site check, with [`options`]), [`conflicts`] (rule scan), [`stats`]
//!   (layer figures), [`identify`] (the features at a point), [`nearest`] (the nearest
//!   feature of a layer); [`views`]: a feature with its measures, by index or by box, for
//!   callers outside the engine; [`cancel`]: the flag a caller sets to stop a heavy operation
//!   (a deadline, a client gone).
//! - [`geodesy`] (areas on the ellipsoid), [`tmerc`] (Gauss-Krüger / transverse Mercator),
//!   [`bbox`] (box tests), [`clip`] (Sutherland–Hodgman, shared with vector tiles), [`overlay`] (exact intersections), [`relate`] (exact predicates), [`green`] (intersection
//!   areas without building them), [`units`] (m², 公顷, 亩), [`validate`] (a user's site):
//!   the measures and algorithms under them; [`error`]: what goes wrong, typed.

pub mod across;
pub mod areas;
pub mod attributes;
pub mod bbox;
pub mod cancel;
pub mod check;
pub mod clip;
pub mod conflicts;
pub mod draw;
pub mod engine;
pub mod error;
pub mod feature;
pub mod geodesy;
pub mod green;
pub mod identify;
pub mod kinds;
mod memory;
pub mod nearest;
pub mod options;
pub mod overlay;
mod pieces;
pub mod plan;
pub mod postgis;
pub mod relate;
pub mod stats;
pub mod store;
pub mod tmerc;
pub mod units;
pub mod validate;
pub mod views;

pub use areas::{FeatureArea, PreparedSite, SiteAreas};
pub use cancel::{Cancel, Cancelled, CheckError};
pub use check::{CheckReport, Verdict};
pub use conflicts::{Conflict, ConflictScan};
pub use engine::{Engine, Layer};
pub use error::{PlanError, SiteError};
pub use feature::{Attributes, Feature, Properties, Shape};
pub use options::CheckOptions;
pub use plan::{Plan, Role, Rule, Severity};
pub use postgis::PostgisSource;
pub use store::LayerStore;
pub use views::FeatureView;
