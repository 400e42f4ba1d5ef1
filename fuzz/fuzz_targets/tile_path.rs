//! The tile path `/tiles/{layer}/{z}/{x}/{y}.pbf`: the four segments (split from the input at
//! '/') parsed as the server does. An error or a tile inside its zoom's grid, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planmap_server::routes::tiles::parse_tile_path;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = s.splitn(4, '/');
    let (layer, z, x, y) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    match parse_tile_path(layer, z, x, y) {
        Ok(t) => {
            let n = 1u64 << t.tile.z;
            assert!(u64::from(t.tile.x) < n && u64::from(t.tile.y) < n, "{t:?}");
            assert_eq!(t.layer, layer);
        }
        Err(e) => assert!(e.status.is_client_error(), "{}", e.status),
    }
});
