//! planmap-io: plan folders, GeoJSON in and out, coordinate transforms.

pub mod chinacrs;
pub mod coordtxt;
pub mod error;
pub mod export;
pub mod geojson_io;
pub mod plan_dir;
pub mod rings;
pub mod versions;

pub use error::IoError;
pub use geojson_io::{parse_site, GeoJsonError};
pub use plan_dir::PlanDir;
