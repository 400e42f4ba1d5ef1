//! Where layers come from. The engine reads layers through this trait so the files of a
//! plan folder today and a database (PostGIS) later are interchangeable.

use crate::feature::Feature;
use crate::plan::Plan;

/// A source of a plan's layers.
pub trait LayerStore {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The plan manifest.
    fn plan(&self) -> Result<Plan, Self::Error>;

    /// All features of one layer, in a stable order.
    fn features(&self, layer: &str) -> Result<Vec<Feature>, Self::Error>;

    /// An opaque version of the layer's current data (changes when the layer is replaced).
    fn version(&self, layer: &str) -> Result<String, Self::Error>;
}
