//! planmap-datagen: deterministic generators of illustrative plan data (示意数据，非官方成果).
//!
//! - [`wenshui`]: the hand-laid Wenshui plan (`data/wenshui/layers`), drawn to that plan's text
//!   and figures.
//! - [`region`]: a generic generator that draws an illustrative plan for any county outline,
//!   and the catalog of every outline in `data/sources/` (`data/region/`).
//!
//! Both share the pieces below: the metric frame and the 1e-7° grid (`frame`), the township
//! partition (`townships`), the occupancy raster (`raster`), field grids (`fields`), the PRNG
//! and noise (`rng`), written features and their GeoJSON (`out`, `write`).

pub mod county;
pub mod fields;
pub mod frame;
pub mod geom;
pub mod out;
pub mod raster;
pub mod region;
pub mod rng;
pub mod townships;
pub mod wenshui;
pub mod write;

/// planmap-io's GCJ-02/BD-09 transforms (the same file as `planmap_io::chinacrs`), compiled in
/// directly so the generator needs neither GDAL nor the rest of planmap-io. Only the GCJ-02
/// inverse is used here.
#[allow(dead_code)]
#[path = "../../planmap-io/src/chinacrs.rs"]
mod chinacrs;
