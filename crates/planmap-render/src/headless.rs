//! maplibre-rs's headless renderer: one tile at 0/0/0 filling a square window, read back from
//! the GPU (or Mesa's CPU) buffer by a small system instead of maplibre's `frame_N.png` files.
//!
//! maplibre-rs 0.0.3 unwraps freely inside (no adapter, a tile it cannot tessellate), so it
//! runs on its own thread, under `catch_unwind`, fed only tiles built here.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use maplibre::context::MapContext;
use maplibre::headless::environment::HeadlessEnvironment;
use maplibre::headless::map::HeadlessMap;
use maplibre::headless::window::HeadlessMapWindowConfig;
use maplibre::headless::HeadlessPlugin;
use maplibre::io::apc::SchedulerAsyncProcedureCall;
use maplibre::kernel::{Kernel, KernelBuilder};
use maplibre::platform::http_client::ReqwestHttpClient;
use maplibre::platform::run_multithreaded;
use maplibre::platform::scheduler::TokioScheduler;
use maplibre::plugin::Plugin;
use maplibre::render::graph::RenderGraph;
use maplibre::render::resource::Head;
use maplibre::render::settings::{Backends, RendererSettings, WgpuSettings};
use maplibre::render::{RenderPlugin, RenderStageLabel, Renderer};
use maplibre::schedule::Schedule;
use maplibre::style::Style;
use maplibre::tcs::system::{System, SystemContainer};
use maplibre::tcs::world::World;
use maplibre::vector::{DefaultVectorTransferables, VectorPlugin};
use maplibre::window::{MapWindowConfig, WindowSize};

use crate::image::{Png, RenderError};
use crate::scene::Rgb;

type Pixels = Arc<Mutex<Option<Vec<u8>>>>;

/// Copies the rendered frame (RGBA, rows unpadded) out of the headless buffer.
struct Capture(Pixels);

impl System for Capture {
    fn name(&self) -> Cow<'static, str> {
        "planmap_capture".into()
    }

    fn run(&mut self, context: &mut MapContext) {
        let renderer = &context.renderer;
        let surface = renderer.resources.surface();
        let Head::Headless(buffered) = surface.head() else {
            return;
        };
        let (w, h) = (
            surface.size().width() as usize,
            surface.size().height() as usize,
        );
        let stride = buffered.bytes_per_row().get() as usize;
        let slice = buffered.map_async(&renderer.device);
        let view = slice.get_mapped_range();
        let mut out = Vec::with_capacity(w * h * 4);
        for row in view.chunks(stride).take(h) {
            out.extend_from_slice(&row[..w * 4]);
        }
        drop(view);
        buffered.unmap();
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(out);
        }
    }
}

struct CapturePlugin(Pixels);

impl Plugin<HeadlessEnvironment> for CapturePlugin {
    fn build(
        &self,
        schedule: &mut Schedule,
        _kernel: Rc<Kernel<HeadlessEnvironment>>,
        _world: &mut World,
        _graph: &mut RenderGraph,
    ) {
        schedule.add_system_to_stage(
            RenderStageLabel::Cleanup,
            SystemContainer::new(Capture(self.0.clone())),
        );
    }
}

fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// maplibre's style: one fill layer per tile layer, indices from 1 (the depth buffer is
/// cleared to 0 and tested with `Greater`, so index 0 would never draw), each its own index.
fn style(drawn: &[(String, Rgb)]) -> Result<Style, RenderError> {
    let layers: Vec<serde_json::Value> = drawn
        .iter()
        .map(|(name, color)| {
            serde_json::json!({
                "id": name, "type": "fill", "source_layer": name,
                "paint": { "fill-color": hex(*color) },
            })
        })
        .collect();
    let mut style: Style = serde_json::from_value(serde_json::json!({
        "version": 8, "name": "planmap report", "metadata": {}, "sources": {},
        "layers": layers,
    }))
    .map_err(|e| RenderError::Failed(format!("style: {e}")))?;
    for (i, l) in style.layers.iter_mut().enumerate() {
        l.index = i as u32 + 1;
    }
    Ok(style)
}

/// maplibre's `create_headless_renderer` on Vulkan alone, and an error instead of its panic
/// when there is no adapter. Its default, every wgpu backend, also starts GL through EGL,
/// whose probe for a Wayland display makes libwayland print "XDG_RUNTIME_DIR is invalid or
/// not set in the environment" on stderr of a server or CLI run without a desktop session;
/// the adapter used is Vulkan's anyway (Mesa's lavapipe on the CPU, or a GPU's driver).
/// `WGPU_BACKEND` still chooses another backend.
async fn headless_renderer(
    size: u32,
) -> Result<(Kernel<HeadlessEnvironment>, Renderer), RenderError> {
    let size = WindowSize::new(size, size)
        .ok_or_else(|| RenderError::Failed(format!("map size {size}")))?;
    let kernel: Kernel<HeadlessEnvironment> = KernelBuilder::new()
        .with_map_window_config(HeadlessMapWindowConfig::new(size))
        .with_http_client(ReqwestHttpClient::new(None))
        .with_apc(SchedulerAsyncProcedureCall::new(TokioScheduler::new()))
        .with_scheduler(TokioScheduler::new())
        .build();
    let config: &HeadlessMapWindowConfig = kernel.map_window_config();
    let window = config.create();
    let mut wgpu = WgpuSettings::default();
    if std::env::var_os("WGPU_BACKEND").is_none() {
        wgpu.backends = Some(Backends::VULKAN);
    }
    let renderer = Renderer::initialize_headless(&window, wgpu, RendererSettings::default())
        .await
        .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
    Ok((kernel, renderer))
}

fn render_here(
    tile: Vec<u8>,
    drawn: Vec<(String, Rgb)>,
    size: u32,
) -> Result<Vec<u8>, RenderError> {
    let style = style(&drawn)?;
    let names: Vec<String> = drawn.into_iter().map(|(n, _)| n).collect();
    let pixels: Pixels = Arc::default();
    let out = pixels.clone();
    run_multithreaded(async move {
        let (kernel, renderer) = headless_renderer(size).await?;
        let plugins: Vec<Box<dyn Plugin<HeadlessEnvironment>>> = vec![
            Box::new(RenderPlugin),
            Box::new(VectorPlugin::<DefaultVectorTransferables>::default()),
            Box::new(HeadlessPlugin::new(false)),
            Box::new(CapturePlugin(out)),
        ];
        let mut map = HeadlessMap::new(style, renderer, kernel, plugins)
            .map_err(|e| RenderError::Failed(format!("{e:?}")))?;
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let layers = map.process_tile(tile.into_boxed_slice(), &refs).await;
        map.render_tile(layers);
        Ok::<(), RenderError>(())
    })?;
    let rgba = pixels
        .lock()
        .map_err(|_| RenderError::Failed("capture poisoned".into()))?
        .take()
        .ok_or_else(|| RenderError::Failed("no frame was drawn".into()))?;
    Ok(rgba)
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Renders a tile (layers bottom to top with their colours) to a PNG, on a dedicated thread.
pub fn render_tile(
    tile: Vec<u8>,
    drawn: Vec<(String, Rgb)>,
    size: u32,
) -> Result<Png, RenderError> {
    let worker = std::thread::Builder::new()
        .name("planmap-render".into())
        .spawn(move || catch_unwind(AssertUnwindSafe(|| render_here(tile, drawn, size))))
        .map_err(|e| RenderError::Failed(format!("thread: {e}")))?;
    let rgba = match worker.join() {
        Ok(Ok(r)) => r?,
        Ok(Err(p)) | Err(p) => {
            let text = panic_text(p.as_ref());
            let lower = text.to_lowercase();
            return Err(
                if lower.contains("adapter") || lower.contains("initialize renderer") {
                    RenderError::NoAdapter(text)
                } else {
                    RenderError::Failed(text)
                },
            );
        }
    };
    encode_png(&rgba, size)
}

fn encode_png(rgba: &[u8], size: u32) -> Result<Png, RenderError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, size, size);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let fail = |e: png::EncodingError| RenderError::Failed(format!("png: {e}"));
    let mut w = enc.write_header().map_err(fail)?;
    w.write_image_data(rgba).map_err(fail)?;
    w.finish().map_err(fail)?;
    Ok(Png(out))
}
