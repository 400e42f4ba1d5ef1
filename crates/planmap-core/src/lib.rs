//! planmap-core: the domain of a county spatial plan, free of I/O.
//!
//! - [`plan`]: the manifest's shape: layers, rules, indicators.
//! - [`feature`]: features with stable ids and attributes.
//! - [`store`]: the trait layer sources implement (files today, a database later).
//! - [`engine`]: the loaded, indexed plan; [`areas`] (a site's overlap areas), [`check`] (site check), [`conflicts`] (rule scan),
//!   [`stats`] (layer figures) are its operations.
//! - [`cancel`]: the flag a caller sets to stop a heavy operation (a deadline, a client gone).
//! - [`identify`]: the features at a point (a click on the map).
//! - [`geodesy`], [`clip`], [`overlay`], [`green`], [`units`], [`validate`]: the measures and algorithms under them.

pub mod areas;
pub mod cancel;
pub mod check;
pub mod clip;
pub mod conflicts;
pub mod engine;
pub mod error;
pub mod feature;
pub mod geodesy;
pub mod green;
pub mod identify;
pub mod nearest;
pub mod overlay;
mod pieces;
pub mod plan;
pub mod relate;
pub mod stats;
pub mod store;
pub mod tmerc;
pub mod units;
pub mod validate;

pub use areas::{FeatureArea, PreparedSite, SiteAreas};
pub use cancel::{Cancel, Cancelled, CheckError};
pub use check::{CheckOptions, CheckReport, Verdict};
pub use conflicts::{Conflict, ConflictScan};
pub use engine::{Engine, Layer};
pub use error::{PlanError, SiteError};
pub use feature::{Feature, Properties, Shape};
pub use plan::{Plan, Rule, Severity};
pub use store::LayerStore;
