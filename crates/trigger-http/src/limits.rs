//! Limits on what clients may send and on how many requests an app runs at
//! once.
//!
//! * Header size and header read time are enforced by hyper (431, and the
//!   connection closed for a slow client); see [`crate::server::serve`].
//! * Request bodies are counted as they stream: a `Content-Length` over the
//!   limit is refused before any guest runs, a body that grows past it fails
//!   for the guest and the request answers 413 whatever the guest made of it.
//!   Executors that hold a whole body in host memory (Spin 1, WAGI) get the
//!   smaller of that limit and [`HttpLimits::max_buffered_bytes`].
//! * [`Admission`] admits at most `max_concurrent_requests` client requests,
//!   holds up to `max_queued_requests` more in line and turns the rest away
//!   with 503 and `Retry-After: 1`. A request keeps its place until its
//!   response body has been sent, since the instance lives that long.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::{self, Body, RequestBody};

/// Serving limits; `Default` gives the documented defaults of `kiln up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body, in bytes; `None`: unlimited.
    pub max_request_body_size: Option<u64>,
    /// Largest request head (request line and headers), in bytes; at least 8192.
    pub max_header_size: usize,
    /// How long an HTTP/1 client may take to send a request head.
    pub header_read_timeout: Duration,
    /// Client requests an app runs at once.
    pub max_concurrent_requests: usize,
    /// Client requests that may wait for a turn; more are turned away (503).
    pub max_queued_requests: usize,
    /// Most bytes the host holds in memory for one guest: request bodies
    /// read whole (Spin 1, WAGI) and WAGI output.
    pub max_buffered_bytes: usize,
}

/// Smallest head size hyper accepts as its buffer size.
pub const MIN_HEADER_SIZE: usize = 8192;

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_request_body_size: None,
            max_header_size: 64 << 10,
            header_read_timeout: Duration::from_secs(30),
            max_concurrent_requests: 1000,
            max_queued_requests: 1000,
            max_buffered_bytes: 64 << 20,
        }
    }
}

/// Why a limit value cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The head size is below what hyper can work with.
    #[error("max header size {0} is below the minimum of {MIN_HEADER_SIZE} bytes")]
    HeaderSizeTooSmall(usize),
    /// No request could ever run.
    #[error("max concurrent requests must be at least 1")]
    NoConcurrency,
}

impl HttpLimits {
    /// Checks the values against what the server can enforce.
    pub fn validate(&self) -> Result<(), LimitError> {
        if self.max_header_size < MIN_HEADER_SIZE {
            return Err(LimitError::HeaderSizeTooSmall(self.max_header_size));
        }
        if self.max_concurrent_requests == 0 {
            return Err(LimitError::NoConcurrency);
        }
        Ok(())
    }

    /// The body limit for a request: `buffered` executors also get the cap
    /// on host-buffered bytes.
    pub(crate) fn body_limit(&self, buffered: bool) -> Option<u64> {
        let buffered = buffered.then_some(self.max_buffered_bytes as u64);
        match (self.max_request_body_size, buffered) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Answers 413 when the declared `Content-Length` is over `limit`.
pub(crate) fn check_content_length(
    headers: &http::HeaderMap,
    limit: Option<u64>,
) -> Option<Response<Body>> {
    let limit = limit?;
    let declared = headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    (declared > limit).then(too_large)
}

/// The 413 response.
pub(crate) fn too_large() -> Response<Body> {
    body::text(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large\n")
}

/// Wraps `body` so that more than `limit` bytes fail it; the flag says
/// whether that happened.
pub(crate) fn limit_body(body: RequestBody, limit: u64) -> (RequestBody, Arc<AtomicBool>) {
    let exceeded = Arc::new(AtomicBool::new(false));
    let limited = Limited {
        inner: body,
        remaining: limit,
        limit,
        exceeded: exceeded.clone(),
    };
    (limited.boxed_unsync(), exceeded)
}

struct Limited {
    inner: RequestBody,
    remaining: u64,
    limit: u64,
    exceeded: Arc<AtomicBool>,
}

impl HttpBody for Limited {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.exceeded.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(wasmtime_wasi_http::Error::HttpRequestBodySize(
                Some(this.limit),
            ))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                if len > this.remaining {
                    this.exceeded.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(wasmtime_wasi_http::Error::HttpRequestBodySize(
                        Some(this.limit),
                    ))));
                }
                this.remaining -= len;
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Admission control for one app's client requests.
pub(crate) struct Admission {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// A request's turn; dropping it lets the next one in.
pub(crate) type Turn = OwnedSemaphorePermit;

impl Admission {
    pub(crate) fn new(limits: &HttpLimits) -> Self {
        Self {
            running: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            waiting: AtomicUsize::new(0),
            max_waiting: limits.max_queued_requests,
        }
    }

    /// Waits for a turn, or answers 503 at once when the line is full.
    pub(crate) async fn enter(&self) -> Result<Turn, Response<Body>> {
        if let Ok(turn) = self.running.clone().try_acquire_owned() {
            return Ok(turn);
        }
        let waiting = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _leave = LeaveLine(&self.waiting);
        if waiting >= self.max_waiting {
            tracing::warn!(waiting, "too many requests waiting; answering 503");
            return Err(busy());
        }
        self.running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| busy())
    }
}

struct LeaveLine<'a>(&'a AtomicUsize);

impl Drop for LeaveLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn busy() -> Response<Body> {
    let mut response = body::text(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable\n");
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Keeps `turn` until the response body has been sent (or dropped).
pub(crate) fn hold_until_sent(response: Response<Body>, turn: Turn) -> Response<Body> {
    response.map(|inner| Holding { inner, _turn: turn }.boxed_unsync())
}

struct Holding {
    inner: Body,
    _turn: Turn,
}

impl HttpBody for Holding {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The answer for an instance that failed before it produced a response:
/// 504 when it ran out of time, 500 for a guest fault; logged with the
/// component id and cause either way.
pub(crate) fn failure(component: &str, err: &wasmtime::Error) -> Response<Body> {
    if kiln_engine::is_timeout(err) {
        tracing::error!(component, "request timed out; instance stopped: {err:#}");
        body::text(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout\n")
    } else {
        tracing::error!(component, "request failed: {err:#}");
        body::text(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(chunks: &[&'static [u8]]) -> RequestBody {
        let stream = futures::stream::iter(
            chunks
                .iter()
                .map(|c| Ok::<_, wasmtime_wasi_http::Error>(Frame::data(Bytes::from_static(c))))
                .collect::<Vec<_>>(),
        );
        http_body_util::StreamBody::new(stream).boxed_unsync()
    }

    #[tokio::test]
    async fn bodies_over_the_limit_fail_and_flag_it() {
        let (body, exceeded) = limit_body(body_of(&[b"12345", b"67890"]), 10);
        assert_eq!(
            body.collect().await.expect("at the limit").to_bytes(),
            "1234567890"
        );
        assert!(!exceeded.load(Ordering::Relaxed));
        let (body, exceeded) = limit_body(body_of(&[b"12345", b"67890", b"x"]), 10);
        assert!(body.collect().await.is_err());
        assert!(exceeded.load(Ordering::Relaxed));
    }

    #[test]
    fn declared_lengths_over_the_limit_are_refused() {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("11"));
        assert_eq!(
            check_content_length(&headers, Some(10)).map(|r| r.status()),
            Some(StatusCode::PAYLOAD_TOO_LARGE)
        );
        assert!(check_content_length(&headers, Some(11)).is_none());
        assert!(check_content_length(&headers, None).is_none());
        let limits = HttpLimits {
            max_request_body_size: Some(100),
            max_buffered_bytes: 10,
            ..HttpLimits::default()
        };
        assert_eq!(limits.body_limit(true), Some(10));
        assert_eq!(limits.body_limit(false), Some(100));
    }

    #[tokio::test]
    async fn admission_queues_then_turns_away() {
        let admission = Admission::new(&HttpLimits {
            max_concurrent_requests: 1,
            max_queued_requests: 1,
            ..HttpLimits::default()
        });
        let first = admission.enter().await.expect("first runs");
        let queued = admission.enter();
        tokio::pin!(queued);
        assert!(futures::poll!(queued.as_mut()).is_pending(), "second waits");
        let refused = admission.enter().await.expect_err("third is turned away");
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[http::header::RETRY_AFTER], "1");
        drop(first);
        let _second = queued.await.expect("second runs once the first is done");
    }

    #[test]
    fn limits_are_validated() {
        assert!(HttpLimits::default().validate().is_ok());
        let small = HttpLimits {
            max_header_size: 100,
            ..HttpLimits::default()
        };
        assert!(small.validate().unwrap_err().to_string().contains("8192"));
        assert!(HttpLimits {
            max_concurrent_requests: 0,
            ..HttpLimits::default()
        }
        .validate()
        .is_err());
    }
}
