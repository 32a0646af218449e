//! The connection loop behind [`crate::Sandbox::start`]: one hyper HTTP/1 connection per
//! accepted socket, so that slow and greedy clients are bounded.
//!
//! - **Head:** hyper's header-read timer ([`SandboxConfig::header_timeout`]) closes a connection
//!   whose request head is not complete in time. hyper starts it as soon as it waits for a head,
//!   so it is also the idle timeout of a keep-alive connection.
//! - **Body:** the same bound, from the end of the head (`middleware::body_deadline`).
//! - **Count:** at most [`SandboxConfig::max_connections`] connections are served at once; past
//!   it a new connection gets a canned `503` (HIS envelope, `Retry-After: 1`) and is closed. At
//!   most [`MAX_REFUSING`] such answers are under way at once; beyond that a connection is closed
//!   without one.
//! - **Shutdown:** the listener closes, every connection finishes its request in flight and
//!   closes (an idle one at once), and the loop ends when the last one has. Each connection is
//!   told through a channel of its own ([`OpenConnections`]): a connection's task checks it at
//!   every wake-up, and a signal shared by all of them (a `watch` channel) would take one lock,
//!   shared by every connection on every worker, at every wake-up.
//!
//! Every request is served knowing where it came in ([`Served`]: the listening and the local
//! address, which the Host and Origin rules of `middleware` compare against): a contract call is
//! handed it directly, any other request carries it as an extension.
//!
//! [`SandboxConfig::header_timeout`]: crate::SandboxConfig::header_timeout
//! [`SandboxConfig::max_connections`]: crate::SandboxConfig::max_connections

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::FutureExt as _;
use futures_util::future::Either;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};

use crate::Sandbox;
use crate::his::HisError;
use crate::padded::Padded;

/// How many `503` answers to connections past the limit may be under way at once.
pub(crate) const MAX_REFUSING: usize = 64;

/// How long a refused connection is kept to deliver its `503`.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// Largest read buffer of a connection, hence of a request head (hyper's default is ~400 KiB).
const MAX_BUF_SIZE: usize = 64 * 1024;

/// Where a request was received: the listening address and the connection's local address (the
/// same unless the sandbox listens on an unspecified address such as `0.0.0.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Served {
    pub bound: SocketAddr,
    pub local: SocketAddr,
}

/// Connection limits, from the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `stop` fires (or its sender is dropped), then shuts down
/// gracefully.
pub(crate) async fn serve(
    listener: TcpListener,
    sandbox: Sandbox,
    app: Router,
    limits: Limits,
    stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let bound = listener.local_addr()?;
    // validated to at most `MAX_CONNECTIONS`, far below u32::MAX
    let max = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let slots = Arc::new(Semaphore::new(max as usize));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let busy = busy_answer(limits.max_connections);
    let open = Arc::new(Mutex::new(OpenConnections::default()));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_BUF_SIZE)
        .keep_alive(true);

    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // e.g. out of file descriptors: back off instead of spinning
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            refuse(stream, &refusing, &busy);
            continue;
        };
        let local = match stream.local_addr() {
            Ok(local) => local,
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        let service = ConnectionService {
            sandbox: Arc::new(Padded(sandbox.clone())),
            app: app.clone(),
            served: Served { bound, local },
        };
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let (id, close) = OpenConnections::add(&open);
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                // the connection first: the close signal is there only at shutdown
                biased;
                result = connection.as_mut() => result,
                _ = close => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            OpenConnections::remove(&open, id);
            drop(slot);
        });
    }
    drop(listener);
    OpenConnections::close_all(&open);
    // every connection holds a slot until it ends
    let _all = slots.acquire_many(max).await;
    Ok(())
}

/// The connections being served, each with the sending end of its close signal. A connection
/// adds itself when accepted and removes itself when it ends; at shutdown every one still open
/// is told to close (a dropped sender tells it too).
#[derive(Default)]
struct OpenConnections {
    next_id: u64,
    closers: HashMap<u64, oneshot::Sender<()>>,
}

impl OpenConnections {
    /// Adds a connection: its id, and the receiving end of its close signal.
    fn add(open: &Mutex<Self>) -> (u64, oneshot::Receiver<()>) {
        let (closer, close) = oneshot::channel();
        let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
        let id = open.next_id;
        open.next_id += 1;
        open.closers.insert(id, closer);
        (id, close)
    }

    fn remove(open: &Mutex<Self>, id: u64) {
        let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
        open.closers.remove(&id);
    }

    /// Tells every open connection to close.
    fn close_all(open: &Mutex<Self>) {
        let closers =
            std::mem::take(&mut open.lock().unwrap_or_else(PoisonError::into_inner).closers);
        for closer in closers.into_values() {
            let _ = closer.send(());
        }
    }
}

/// Answers a connection past the limit with `503` (once its request head is in) and closes it, if fewer than [`MAX_REFUSING`]
/// such answers are under way; otherwise closes it at once.
fn refuse(mut stream: TcpStream, refusing: &Arc<Semaphore>, busy: &Bytes) {
    let Ok(permit) = Arc::clone(refusing).try_acquire_owned() else {
        return;
    };
    let busy = busy.clone();
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(REFUSAL_TIME, async {
            // an HTTP client takes an answer only after it has sent its request: read the head
            // (or what fits in the buffer) first
            let mut head = [0_u8; 8 * 1024];
            let mut filled = 0;
            while filled < head.len() && !head[..filled].windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut head[filled..]).await? {
                    0 => break,
                    n => filled += n,
                }
            }
            stream.write_all(&busy).await?;
            stream.shutdown().await?;
            // read what the client sends until it closes, so that closing does not reset the
            // connection before the client has read the answer
            let mut sink = [0_u8; 1024];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<_, std::io::Error>(())
        })
        .await;
    });
}

/// The raw `503` answer for connections past the limit.
fn busy_answer(max_connections: usize) -> Bytes {
    let body = HisError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Too many connections: retry later",
        "HIS-503",
        format!("The sandbox serves at most {max_connections} connections at once"),
    )
    .body()
    .to_string();
    Bytes::from(format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ))
}

/// One connection's service: a contract call (`POST` to one of the gateway's 8 paths, nearly
/// every request) goes straight to its handler, which is given where it was received; any other
/// request goes to the router with a [`Served`] extension. The router has the same contract
/// routes (for a router mounted elsewhere), served by the same [`crate::contract_call`]: the
/// shortcut only skips the route lookup and the extension map.
#[derive(Clone)]
struct ConnectionService {
    /// The connection's own handle: each request clones this `Arc`, whose count only this
    /// connection's requests touch, not the sandbox's, which every connection on every worker
    /// shares (two atomic operations on one contended cache line per request saved). Padded, so
    /// that two connections' counts never share a line either.
    sandbox: Arc<Padded<Sandbox>>,
    app: Router,
    served: Served,
}

type ContractFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for ConnectionService {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<axum::routing::future::RouteFuture<Infallible>, ContractFuture>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        if let Some(step) = crate::contract_step_of(request.method(), request.uri().path()) {
            // hyper's body as it is: not boxed into axum's
            let sandbox = Arc::clone(&self.sandbox);
            let call = crate::contract_call(sandbox, request, Some(&self.served), Some(step));
            return Either::Right(Box::pin(call.map(Ok)));
        }
        request.extensions_mut().insert(self.served);
        // a `Router` is always ready, so `poll_ready` need not be awaited
        Either::Left(tower_service::Service::call(&mut self.app.clone(), request))
    }
}
