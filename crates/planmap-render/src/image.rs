//! What rendering gives: a [`Png`], or a [`RenderError`]; the image sizes allowed.

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
