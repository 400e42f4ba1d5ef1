//! planmap-render: report maps rendered on the server with maplibre-rs, and the printable HTML
//! check report.
//!
//! A report map is one MVT tile whose extent is the map [`Frame`] (the site's box plus a
//! margin, made square), encoded with planmap-io's MVT encoder from the plan's layers, the
//! overlap pieces and the site; maplibre-rs (crate `maplibre`, feature `headless`) draws it on
//! the CPU through Mesa's software Vulkan (or GL) driver. The renderer is behind this crate's
//! `maplibre` feature; without it [`render_map`] returns [`RenderError::Disabled`] and the rest
//! (frames, styles, tiles, the HTML report) still works.

pub mod frame;
pub mod maps;
pub mod report;
pub mod scene;

#[cfg(feature = "maplibre")]
mod headless;

pub use frame::Frame;
pub use maps::{layer_preview, site_map, SiteMap};
pub use report::{report_html, ReportInput};
pub use scene::{report_style, LayerStyle, MapLayer, MapStyle, Paint, Rgb};

/// A PNG image's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png(pub Vec<u8>);

/// Why a map could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("map rendering is not built in (this planmap was built without its default `render` feature)")]
    Disabled,
    #[error(
        "no Vulkan or GL adapter for rendering maps ({0}); install Mesa's drivers \
         (Debian: mesa-vulkan-drivers) or set WGPU_BACKEND=gl"
    )]
    NoAdapter(String),
    #[error("image size {0} px is out of range {MIN_SIZE}..={MAX_SIZE}")]
    Size(u32),
    #[error("the renderer failed: {0}")]
    Failed(String),
}

/// Smallest and largest image side in pixels.
pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 4096;

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
        let (tile, drawn) = scene::encode_scene(frame, layers, style, size);
        headless::render_tile(tile, drawn, size)
    }
    #[cfg(not(feature = "maplibre"))]
    {
        let _ = (frame, layers, style);
        Err(RenderError::Disabled)
    }
}

/// The printable report of a check, its map rendered at `size` px; when the map cannot be
/// rendered the page says why, and the error is returned beside it.
pub fn check_report_page(
    engine: &planmap_core::Engine,
    report: &planmap_core::CheckReport,
    size: u32,
    date: String,
) -> (String, Option<RenderError>) {
    let map = site_map(engine, report);
    let png = match &map {
        Some(m) => m.render(size),
        None => Err(RenderError::Failed("empty site".into())),
    };
    let error = png.as_ref().err().cloned();
    let html = report_html(&ReportInput {
        plan: &engine.plan,
        report,
        map: png,
        style: map.as_ref().map(|m| &m.style),
        date,
    });
    (html, error)
}

/// Whether this build can render maps at all.
pub const ENABLED: bool = cfg!(feature = "maplibre");

/// The Vulkan layer a headless renderer does without: Mesa's device-select layer (Debian's
/// `mesa-vulkan-drivers` installs it as an implicit layer) connects to the Wayland or X11
/// display to order the GPUs, and without a desktop session libwayland prints
/// "XDG_RUNTIME_DIR is invalid or not set in the environment" on stderr at every map.
pub const DESKTOP_LAYER: &str = "VK_LAYER_MESA_device_select";

/// Keeps the renderer off the desktop: tells the Vulkan loader not to load
/// [`DESKTOP_LAYER`] (`VK_LOADER_LAYERS_DISABLE`, unless the environment sets it already).
/// The renderer itself uses Vulkan alone, so GL/EGL's display probe is never made either.
/// It changes the process's environment: call it first thing in `main`, before any thread.
pub fn headless_environment() {
    const VAR: &str = "VK_LOADER_LAYERS_DISABLE";
    if ENABLED && std::env::var_os(VAR).is_none() {
        std::env::set_var(VAR, DESKTOP_LAYER);
    }
}
