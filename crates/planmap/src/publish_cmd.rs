//! `planmap publish OUT/`: the plan as a static site (see the `planmap-publish` crate).

use std::path::PathBuf;

use clap::Args;

use crate::failure::Failure;

#[derive(Args)]
pub struct PublishArgs {
    /// The folder to write (created; an existing one must be empty or an earlier publish).
    pub out: PathBuf,
    /// The planners' planmap server (http(s)://…), where checks are made: the public map
    /// names it and calls it with CORS. Default: none.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// A built web app folder to publish instead of the one built into this binary.
    #[arg(long)]
    pub web: Option<PathBuf>,
    /// Folders searched for the fonts of label glyphs, colon-separated.
    #[arg(
        long,
        env = "PLANMAP_FONTS",
        default_value = "/usr/share/fonts",
        value_delimiter = ':'
    )]
    pub fonts: Vec<PathBuf>,
    #[command(flatten)]
    pub basemap: crate::basemap_args::BasemapArgs,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(data: PathBuf, a: PublishArgs) -> Result<String, Failure> {
    let mut config = planmap_server::Config::new(data);
    config.font_dirs = a.fonts;
    config.basemap = a.basemap.basemap().map_err(Failure::input)?;
    let state = planmap_server::AppState::load(config).map_err(Failure::other)?;
    let o = planmap_publish::Options {
        out: a.out,
        web: a.web,
        api_url: a.api_url,
    };
    let s = planmap_publish::publish(&state, &o).map_err(Failure::input)?;
    if a.json {
        return serde_json::to_string_pretty(&s).map_err(Failure::other);
    }
    Ok(format!(
        "published {} into {}: {} tiles in {:.1} MB of PMTiles (z{}–z{}), {} glyph ranges, {} files, {:.1} s",
        s.plan,
        s.out.display(),
        s.archive.tiles,
        s.archive.bytes as f64 / 1e6,
        planmap_publish::ZOOMS.0,
        planmap_publish::ZOOMS.1,
        s.glyph_ranges,
        s.files,
        s.seconds
    ))
}
