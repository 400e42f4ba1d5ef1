//! `planmap-bench hello`: a plain axum server with one route and no layers, on the same tokio
//! runtime as `planmap serve` (multi-threaded, one worker a core) — the floor of an HTTP
//! answer on this machine, which `bench/compare.py` measures beside planmap's endpoints.
//! `GET /hello` answers `hello`; `POST /hello` reads the whole body first, as a check does.
//! Bench-only: not a route of the planmap server.

use axum::body::Bytes;
use axum::routing::get;
use axum::Router;

async fn hello() -> &'static str {
    "hello"
}

async fn hello_body(body: Bytes) -> &'static str {
    std::hint::black_box(body);
    "hello"
}

/// Serves on `addr` (port 0: a free one) and prints `hello: http://ADDR/` once listening.
pub fn serve(addr: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("hello: http://{}/", listener.local_addr()?);
        let app = Router::new().route("/hello", get(hello).post(hello_body));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
