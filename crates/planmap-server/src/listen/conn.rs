//! One connection: nothing of hyper's is built until the client sends a byte; then HTTP/1
//! with keep-alive, closed when the [`Conn`]'s deadline passes (head not read in time, idle
//! too long, answer stalled), when the accept loop evicts it, or — once quiet — at shutdown.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower::ServiceExt;

use super::table::{instant_of, now_ms, Conn, Entry, Timeouts};
use crate::state::AppState;

/// What every connection shares.
pub struct Shared {
    pub app: Router,
    pub state: AppState,
    pub timeouts: Timeouts,
}

impl Shared {
    fn should_close(&self, conn: &Conn) -> bool {
        conn.is_evicted() || self.state.shutdown().is_stopping()
    }
}

/// A socket that tells its [`Conn`] when bytes come and go.
struct Watched {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.on_read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.on_write();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.on_write();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Waits for the client's first byte within the header timeout; `false`: close.
async fn first_byte(stream: &TcpStream, shared: &Shared, conn: &Conn) -> bool {
    let deadline = tokio::time::Instant::now() + shared.timeouts.header;
    loop {
        tokio::select! {
            r = stream.readable() => return r.is_ok(),
            _ = tokio::time::sleep_until(deadline) => return false,
            _ = conn.changed.notified() => {
                if shared.should_close(conn) {
                    return false;
                }
            }
        }
    }
}

/// Serves one accepted connection until it closes; it leaves the table then.
pub async fn serve(stream: TcpStream, entry: Entry, shared: Arc<Shared>) {
    let conn = Arc::clone(&entry.conn);
    if !first_byte(&stream, &shared, &conn).await {
        return;
    }
    let app = shared.app.clone();
    let counted = Arc::clone(&conn);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let handling = counted.request();
        let app = app.clone();
        async move {
            let resp = match app.oneshot(req).await {
                Ok(r) => r,
                Err(e) => match e {},
            };
            let sending = handling.answered();
            // inspect_frame keeps the body's size hint: a known length is still sent as
            // Content-Length, not chunked.
            Ok::<_, Infallible>(
                resp.map(move |b| Body::new(b.inspect_frame(move |_| sending.progress()))),
            )
        }
    });
    let io = TokioIo::new(Watched {
        inner: stream,
        conn: Arc::clone(&conn),
    });
    let http = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(http);
    let mut draining = false;
    loop {
        let deadline = conn.deadline(shared.timeouts);
        tokio::select! {
            _ = http.as_mut() => return,
            _ = conn.changed.notified() => {}
            _ = tokio::time::sleep_until(instant_of(deadline.unwrap_or(0))), if deadline.is_some() => {}
        }
        if conn
            .deadline(shared.timeouts)
            .is_some_and(|d| d <= now_ms())
        {
            return; // dropped: the socket is closed
        }
        if shared.should_close(&conn) {
            if conn.is_quiet() {
                return;
            }
            if !draining {
                // Closed once the request in flight is answered.
                http.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}
