//! planmap-render: report maps rendered on the server with maplibre-rs, and the printable HTML
//! check report.
//!
//! A report map is one MVT tile whose extent is the map [`Frame`] (the site's box plus a
//! margin, made square), encoded with planmap-io's MVT encoder from the plan's layers, the
//! overlap pieces and the site; maplibre-rs (crate `maplibre`, feature `headless`) draws it on
//! the CPU through Mesa's software Vulkan (or GL) driver. The renderer is behind this crate's
//! `maplibre` feature; without it [`render_map`] returns [`RenderError::Disabled`] and the rest
//! (frames, styles, tiles, the HTML report) still works.

pub mod batch;
pub mod frame;
mod image;
pub mod maps;
mod render;
pub mod report;
pub mod scene;

#[cfg(feature = "maplibre")]
mod headless;

pub use batch::{batch_map, batch_report_page};
pub use frame::Frame;
pub use image::{Png, RenderError, MAX_SIZE, MIN_SIZE};
pub use maps::{layer_preview, site_map, SiteMap};
pub use render::render_map;
pub use report::{report_html, ReportInput};
pub use scene::{report_style, LayerStyle, MapLayer, MapStyle, Paint, Rgb};

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
