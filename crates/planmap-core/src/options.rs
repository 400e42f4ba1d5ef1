//! What a caller may set for a site check and for [`crate::Engine::overlap_areas`]: the limits
//! a user's site is held to. Its own module, so that `areas` (which validates a site) and
//! `check` (built on `areas`) both use it without naming each other.

/// Options of a check.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Most vertices a site may have, all parts together.
    pub max_vertices: usize,
    /// Most polygons a (multipart) site may have.
    pub max_parts: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_vertices: 100_000,
            max_parts: 1_000,
        }
    }
}
