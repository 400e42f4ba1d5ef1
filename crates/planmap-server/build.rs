//! The web app (`web/dist`, built by `make web`) is embedded in the server (routes/assets.rs):
//! rebuild when it changes, and say so at build time when it is missing.

fn main() {
    let dist = std::path::Path::new("../../web/dist");
    println!("cargo:rerun-if-changed=../../web/dist");
    if !dist.join("index.html").exists() {
        println!(
            "cargo:warning=web/dist is missing: this planmap will have no web app built in \
             (`planmap serve` answers / with 404 unless given --web DIR); run `make web` first"
        );
    }
}
