//! What the server holds besides the plan, with no handler in it: the fonts glyphs are made
//! from, the tile cache of a snapshot, the gate of heavy requests, the data keeper's token,
//! the recorder of checks, the stop signal. [`crate::state`] holds them; [`crate::routes`] uses them.

pub mod fonts;
pub mod gate;
pub mod history_store;
pub mod recorder;
pub mod shutdown;
pub mod tile_cache;
pub mod token;
