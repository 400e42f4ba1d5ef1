//! [`render_map`]: the one call into the renderer (maplibre-rs, feature `maplibre`).

use crate::frame::Frame;
use crate::image::{Png, RenderError, MAX_SIZE, MIN_SIZE};
use crate::scene::{MapLayer, MapStyle};

/// Renders `layers` in `frame` with `style` into a `size`×`size` PNG. Runs maplibre-rs on a
/// dedicated thread, its panics caught and returned as errors.
pub fn render_map(
    frame: &Frame,
    layers: &[MapLayer],
    style: &MapStyle,
    size: u32,
) -> Result<Png, RenderError> {
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
        return Err(RenderError::Size(size));
    }
    #[cfg(feature = "maplibre")]
    {
        let (tile, drawn) = crate::scene::encode_scene(frame, layers, style, size);
        crate::headless::render_tile(tile, drawn, size)
    }
    #[cfg(not(feature = "maplibre"))]
    {
        let _ = (frame, layers, style);
        Err(RenderError::Disabled)
    }
}
