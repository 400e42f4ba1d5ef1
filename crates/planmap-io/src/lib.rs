//! planmap-io: plan folders, GeoJSON in and out, coordinate transforms, the readers of every
//! supported format ([`source`]) and the sandbox that reads untrusted files in a worker
//! process ([`sandbox`]).

pub mod chinacrs;
pub mod coordtxt;
pub mod crs;
pub mod error;
pub mod export;
pub mod format;
#[cfg(feature = "gdal")]
pub mod gdal_io;
pub mod geojson_io;
pub mod import;
pub mod layer_file;
pub mod limits;
pub mod mvt;
pub mod plan_dir;
pub mod rings;
pub mod sandbox;
pub mod site;
pub mod source;
pub mod versions;

pub use error::{IoError, ReadError, SourceError};
pub use geojson_io::{parse_site, GeoJsonError};
pub use limits::UploadLimits;
pub use plan_dir::PlanDir;
pub use site::{read_site, read_site_bytes, Site};
pub use source::read::{read_bytes, read_path};
pub use source::{Dataset, Format, ReadOptions};
