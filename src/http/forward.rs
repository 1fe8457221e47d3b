//! On a cluster, a request that reaches a venue another node writes is
//! sent on to that node, whole, and its answer returned as it is: the
//! client may talk to any node. The engine says so with
//! `EngineError::Elsewhere(url)`, which the error table turns into a 503
//! carrying the writer's address in an internal header; this middleware
//! replaces that response with the writer's own. Sending on the whole
//! request (rather than the command) keeps every rule in one place: the
//! writer authenticates, checks idempotency and answers exactly as if the
//! client had come to it.
//!
//! The body is recorded as the route reads it (it has always read it all
//! before it reaches the engine), up to the body limit. A request is sent
//! on once: one that was already sent on and again finds another writer
//! (leases moving) is answered with the 503, and the client tries again.
//! The writer sees the client's address in `X-Forwarded-For`, believed
//! only if the nodes are listed in `BOOKING_TRUSTED_PROXIES`.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse};
use futures::future::{Either, LocalBoxFuture};
use futures::{Stream, StreamExt, TryFutureExt};

use crate::http::MAX_BODY_BYTES;

/// The response header naming the node that writes the venue (internal:
/// removed before any response leaves).
pub const OWNER_HEADER: &str = "booking-owner";

/// The request header marking a request another node sent on.
pub const FORWARDED_HEADER: &str = "booking-forwarded";

/// How long the writer may take to answer a request sent on to it.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Headers that belong to one connection, not to the request or response.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "host",
    "content-length",
];

/// Passes `req` to `srv`; on a cluster, sends it on to the venue's writer
/// if the answer says another node writes it.
///
/// One node (and a WebSocket, which reads its venues' events from this
/// node's bus) passes straight through: no allocation on that path.
pub fn route<S, B>(
    mut req: ServiceRequest,
    srv: &S,
    clustered: bool,
) -> Either<Passed<S::Future, B>, LocalBoxFuture<'static, Answer<B>>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    if !clustered || req.headers().contains_key(header::UPGRADE) {
        let left: fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> =
            ServiceResponse::map_into_left_body;
        return Either::Left(srv.call(req).map_ok(left));
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    let payload: Pin<Box<dyn Stream<Item = _>>> = Box::pin(Tee {
        inner: req.take_payload(),
        seen: seen.clone(),
    });
    req.set_payload(Payload::from(payload));
    let asked = Asked {
        method: req.method().as_str().to_string(),
        target: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |p| p.as_str().to_string()),
        headers: req.headers().clone(),
        peer: req.peer_addr().map(|a| a.ip()),
    };
    let answer = srv.call(req);
    Either::Right(Box::pin(async move {
        let mut res = answer.await?;
        let Some(owner) = res.headers_mut().remove(OWNER_HEADER).next() else {
            return Ok(res.map_into_left_body());
        };
        if asked.headers.contains_key(FORWARDED_HEADER) {
            return Ok(res.map_into_left_body());
        }
        let Ok(owner) = owner.to_str().map(str::to_string) else {
            return Ok(res.map_into_left_body());
        };
        let body = std::mem::take(&mut *seen.borrow_mut());
        match send(&owner, asked, body).await {
            Ok(answer) => {
                metrics::counter!("requests_forwarded_total", "outcome" => "answered").increment(1);
                Ok(res.into_response(answer.map_into_right_body()))
            }
            Err(e) => {
                metrics::counter!("requests_forwarded_total", "outcome" => "unreachable")
                    .increment(1);
                tracing::warn!(owner = %owner, error = %e, "sending a request on to the venue's writer failed");
                Ok(res.map_into_left_body())
            }
        }
    }))
}

/// The response of `route`: this node's, or the writer's.
type Answer<B> = Result<ServiceResponse<EitherBody<B>>, Error>;

/// A request passed straight through.
type Passed<F, B> =
    futures::future::MapOk<F, fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>>;

/// What is needed to send the request again.
struct Asked {
    method: String,
    target: String,
    headers: header::HeaderMap,
    peer: Option<std::net::IpAddr>,
}

/// One client for every request sent on (it keeps connections to the
/// other nodes open).
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

async fn send(owner: &str, asked: Asked, body: Vec<u8>) -> Result<HttpResponse, reqwest::Error> {
    let method =
        reqwest::Method::from_bytes(asked.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut out = client()
        .request(method, format!("{owner}{}", asked.target))
        .header(FORWARDED_HEADER, "1");
    let mut forwarded_for = Vec::new();
    for (name, value) in &asked.headers {
        let name = name.as_str();
        if HOP_BY_HOP.contains(&name) || name == "origin" {
            continue;
        }
        if name == "x-forwarded-for" {
            forwarded_for.extend(value.to_str().ok().map(str::to_string));
            continue;
        }
        out = out.header(name, value.as_bytes());
    }
    forwarded_for.extend(asked.peer.map(|ip| ip.to_string()));
    if !forwarded_for.is_empty() {
        out = out.header("x-forwarded-for", forwarded_for.join(", "));
    }
    let answer = out.body(body).send().await?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = HttpResponse::build(status);
    for (name, value) in answer.headers() {
        let name = name.as_str();
        // This node's own CORS and security headers apply.
        if HOP_BY_HOP.contains(&name) || name.starts_with("access-control-") {
            continue;
        }
        response.append_header((name, value.as_bytes()));
    }
    Ok(response.body(answer.bytes().await?))
}

/// The request body as it is read, with a copy kept (up to the limit:
/// a longer body is refused by the route before any engine call).
struct Tee {
    inner: Payload,
    seen: Rc<RefCell<Vec<u8>>>,
}

impl Stream for Tee {
    type Item = Result<Bytes, actix_web::error::PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            let mut seen = self.seen.borrow_mut();
            let room = (MAX_BODY_BYTES + 1).saturating_sub(seen.len());
            seen.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        next
    }
}
