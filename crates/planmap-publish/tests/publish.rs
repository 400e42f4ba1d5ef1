//! `planmap publish` on the built-in Wenshui plan: the style points at the archive, the glyph
//! ranges cover the labels' characters, and a folder of someone else's files is refused.

use std::path::PathBuf;

use planmap_publish::{glyphs, publish, static_style, Options};
use planmap_server::{AppState, Config};

fn wenshui() -> AppState {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/wenshui");
    AppState::load(Config::new(data)).expect("the built-in plan loads")
}

#[test]
fn the_style_reads_the_archive_and_glyphs_from_the_site() {
    let st = wenshui();
    let snap = st.snapshot();
    let s = static_style(
        &snap,
        &["Noto Sans CJK SC Regular".into()],
        "plans/wenshui/wenshui.pmtiles",
    );
    let src = &s["sources"]["wenshui"];
    assert_eq!(src["type"], "vector");
    assert_eq!(src["url"], "pmtiles://plans/wenshui/wenshui.pmtiles");
    assert!(src.get("tiles").is_none(), "no server tile URL is left");
    assert_eq!(s["glyphs"], "fonts/{fontstack}/{range}.pbf");
    assert!(
        s.get("sources").unwrap().get("basemap").is_none(),
        "no basemap unless configured"
    );
}

#[test]
fn the_glyph_ranges_hold_the_labels_characters() {
    let st = wenshui();
    let ranges = glyphs::label_ranges(&st.snapshot());
    // 镇 is U+9547 (凤城镇, a township's label): its range starts at 0x9500.
    assert!(ranges.contains(&0x9500), "{ranges:?}");
    assert!(ranges.contains(&0), "digits and Latin letters");
    assert!(ranges.iter().all(|r| r % 256 == 0 && *r <= 65280));
}

#[test]
fn a_folder_of_other_files_is_not_overwritten() {
    let st = wenshui();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("mine.txt"), "keep").unwrap();
    let o = Options {
        out: d.path().to_path_buf(),
        web: None,
        api_url: None,
    };
    let e = publish(&st, &o).unwrap_err();
    assert!(e.contains("not a planmap publish"), "{e}");
    assert_eq!(
        std::fs::read_to_string(d.path().join("mine.txt")).unwrap(),
        "keep"
    );
    let bad = Options {
        api_url: Some("ftp://x".into()),
        ..o
    };
    assert!(publish(&st, &bad).unwrap_err().contains("--api-url"));
}
