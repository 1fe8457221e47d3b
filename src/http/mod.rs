//! HTTP: routes, DTOs and typed response views, the OpenAPI document and
//! its reference page, extractors and the error table over the engine.

mod codes;
mod details;
mod docs;
mod dto;
pub mod error;
mod extract;
pub mod forward;
mod health;
mod ical;
mod idempotency;
mod limits;
mod methods;
mod observe;
pub mod routes;
mod tablet;
mod upgrade;
mod views;
pub mod ws;
mod zones;

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_http::HttpService;
use actix_service::{IntoServiceFactory, ServiceFactoryExt, map_config};
use actix_web::dev::{AppConfig, Server, Service, ServiceResponse};
use actix_web::middleware::{Condition, DefaultHeaders};
use actix_web::{App, ResponseError, web};

use crate::accounts::Accounts;
use crate::actors::Engine;
pub use error::{ApiError, ErrorCode};
pub use idempotency::{Idempotency, sweep as sweep_idempotency};
pub use limits::{Connections, Limits};
pub use zones::Zones;

/// What every handler can reach.
pub struct AppState {
    pub engine: Arc<Engine>,
    pub accounts: Accounts,
    /// Webhooks and WeChat reminder messages (API v1.1 §7).
    pub outbox: Arc<crate::outbox::Outbox>,
    pub zones: Arc<Zones>,
    pub idempotency: Idempotency,
    /// `None` when rate limiting is off (`BOOKING_RATE_LIMIT=off`).
    pub limits: Option<Limits>,
    /// Open connections per address, capped at `connection_cap` (off with
    /// the rate limits).
    pub connections: Connections,
    pub connection_cap: Option<usize>,
    /// How long a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins allowed to call the API from a browser; `*` for any.
    pub cors_origins: Vec<String>,
    /// Who listens to which live topic.
    pub hub: Arc<ws::Hub>,
    /// Availability subscriptions, grouped.
    pub groups: Arc<ws::Groups>,
    /// Frames a WebSocket client may fall behind before it is dropped.
    pub ws_queue: usize,
    /// `BOOKING_PUBLIC_URL`: where clients reach the server, for absolute
    /// calendar-feed URLs; paths otherwise.
    pub public_url: Option<String>,
    /// Where backups are written before they are streamed (the data dir).
    pub backup_dir: std::path::PathBuf,
    /// Set once at shutdown: WebSocket sessions close with 1001.
    pub shutdown: tokio::sync::watch::Sender<bool>,
}

/// Largest request body accepted (API.md: 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers(["Retry-After", "Idempotent-Replayed"])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        return cors.allow_any_origin();
    }
    origins.iter().fold(cors, |c, o| c.allowed_origin(o))
}

/// The server on an already-bound listener (tests bind port 0).
///
/// Assembled from actix-server and actix-http rather than actix-web's
/// `HttpServer` for one reason: `upgrade`. A WebSocket served through the
/// HTTP/1 dispatcher keeps that dispatcher's two 8 KiB buffers for the
/// socket's life (16 KiB of an idle subscriber's 19); the upgrade service
/// takes the socket out of it instead (see `upgrade`).
pub fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<Server> {
    crate::telemetry::metrics();
    state.zones.follow(&state.engine);
    state.hub.run(state.engine.clone(), state.zones.clone());
    let sweeper = state.clone();
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Some(limits) = &sweeper.limits {
                limits.sweep();
            }
            sweeper.connections.sweep();
        }
    });
    let data = web::Data::from(state);
    let local = listener.local_addr()?;
    let server = actix_server::Server::build()
        // Signals are handled by `startup`, which closes WebSocket sessions first.
        .disable_signals()
        .listen("booking-engine", listener, move || {
            let counted = data.clone();
            let upgrade_data = data.clone();
            HttpService::build()
                .local_addr(local)
                // As actix-web's `HttpServer` sets it: a connection closed
                // after its answer waits at most a second for the client.
                .client_disconnect_timeout(std::time::Duration::from_secs(1))
                // Every connection is counted against its address's cap.
                .on_connect_ext(move |tcp: &actix_web::rt::net::TcpStream, extensions| {
                    count_connection(&counted, tcp, extensions)
                })
                .upgrade(actix_service::fn_factory(move || {
                    upgrade::service(app(upgrade_data.clone()))
                }))
                .finish(map_config(
                    app(data.clone())
                        .into_factory()
                        .map_err(|e| e.error_response()),
                    |_| AppConfig::default(),
                ))
                .tcp()
        })?
        .run();
    Ok(server)
}

/// Opens the connection's slot against its address's cap, unless caps are
/// off or the peer is a trusted proxy (which carries many clients).
fn count_connection(
    state: &AppState,
    tcp: &actix_web::rt::net::TcpStream,
    extensions: &mut actix_web::dev::Extensions,
) {
    let Some(cap) = state.connection_cap else {
        return;
    };
    let Ok(peer) = tcp.peer_addr() else {
        return;
    };
    if !state.trusted_proxies.iter().any(|n| n.contains(&peer.ip())) {
        extensions.insert(state.connections.open(peer.ip(), cap));
    }
}

/// The application: routes and middleware. Built twice per worker: for
/// the dispatcher's requests, and inside the upgrade service, which sends
/// WebSocket upgrades through the very same checks.
fn app(
    data: web::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let origins = data.cors_origins.clone();
    let limited = data.clone();
    let clustered = data.engine.clustered();
    App::new()
        .app_data(data.clone())
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .wrap_fn(move |req, srv| forward::route(req, srv, clustered))
        .wrap_fn(move |req, srv| {
            let over = req
                .conn_data::<limits::ConnectionSlot>()
                .is_some_and(|slot| slot.over);
            let verdict = match &limited.limits {
                _ if over => Err(Connections::refused()),
                Some(limits) => {
                    let ip = limits::client_ip(req.request(), &limited.trusted_proxies);
                    limits.check(req.request(), ip, limited.accounts.tokens())
                }
                None => Ok(()),
            };
            let next = match verdict {
                Ok(()) => Ok(srv.call(req)),
                Err(e) => {
                    let mut response = e.error_response();
                    if over {
                        // Closing is the point: the socket is given back.
                        response
                            .head_mut()
                            .set_connection_type(actix_web::http::ConnectionType::Close);
                    }
                    Err(req.into_response(response))
                }
            };
            async move {
                match next {
                    Ok(fut) => fut.await.map(ServiceResponse::map_into_left_body),
                    Err(refused) => Ok(refused.map_into_right_body()),
                }
            }
        })
        .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "no-referrer"))
                .add(("Cache-Control", "no-store"))
                .add((
                    "Content-Security-Policy",
                    "default-src 'none'; frame-ancestors 'none'",
                )),
        )
        .wrap_fn(observe::observe)
        .configure(health::routes)
        .configure(tablet::routes)
        .configure(docs::routes)
        .service(web::scope("/api/v1").configure(routes::configure))
        .default_service(web::to(not_found))
}

/// Unknown routes get the same error body as everything else.
async fn not_found() -> actix_web::HttpResponse {
    ApiError::not_found("route").error_response()
}
