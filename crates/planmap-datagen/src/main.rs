//! planmap-datagen: writes the illustrative plan data sets.
//!
//! ```text
//! planmap-datagen [--out data/wenshui] [--sources FILE] [--verbose] [--force]
//! planmap-datagen region --out data/region [--sources FILE] [--wenshui data/wenshui] [--only ADCODE,…]
//! ```

use planmap_datagen::{region, wenshui};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: planmap-datagen [--out data/wenshui] [--sources data/sources/counties_gcj02.geojson] [--verbose] [--force]\n       planmap-datagen region [--out data/region] [--sources data/sources/counties_gcj02.geojson] [--wenshui data/wenshui] [--only ADCODE,…]";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let region_mode = args.first().is_some_and(|a| a == "region");
    if region_mode {
        args.remove(0);
    }
    let t0 = Instant::now();
    let result = if region_mode {
        region_main(args)
    } else {
        wenshui_main(args)
    };
    match result {
        Ok(true) => {
            println!("done in {:.2} s", t0.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Ok(false) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("planmap-datagen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The value after a flag, or an error naming the flag.
fn value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<String, String> {
    args.next().ok_or_else(|| format!("{flag} needs a value"))
}

fn wenshui_main(args: Vec<String>) -> Result<bool, String> {
    let mut out = PathBuf::from("data/wenshui");
    let mut sources = PathBuf::from(wenshui::SOURCES);
    let mut force = false;
    let mut verbose = false;
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = value(&mut args, "--out")?.into(),
            "--sources" => sources = value(&mut args, "--sources")?.into(),
            "--force" => force = true,
            "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(false);
            }
            other => return Err(format!("unknown argument {other} (see --help)")),
        }
    }
    wenshui::run(&out, &sources, force, verbose).map(|()| true)
}

fn region_main(args: Vec<String>) -> Result<bool, String> {
    let mut opts = region::Options::default();
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => opts.out = value(&mut args, "--out")?.into(),
            "--sources" => opts.sources = value(&mut args, "--sources")?.into(),
            "--wenshui" => opts.wenshui = Some(value(&mut args, "--wenshui")?.into()),
            "--only" => {
                opts.only = Some(
                    value(&mut args, "--only")?
                        .split(',')
                        .map(str::to_string)
                        .collect(),
                )
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(false);
            }
            other => return Err(format!("unknown argument {other} (see --help)")),
        }
    }
    let summary = region::write_catalog(&opts)?;
    print!("{}", summary.table());
    Ok(true)
}
