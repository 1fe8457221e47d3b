//! HTTP: routes, DTOs and the error table over the engine. For now the
//! operational routes; the REST API of API.md builds on this.

pub mod error;
mod health;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use crate::actors::Engine;
pub use error::ApiError;

/// What every handler can reach.
pub struct AppState {
    pub engine: Arc<Engine>,
}

/// Largest request body accepted (API.md: 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The server on an already-bound listener (tests bind port 0).
pub fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<Server> {
    let data = web::Data::from(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::JsonConfig::default().limit(MAX_BODY_BYTES))
            .configure(health::routes)
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// Unknown routes get the same error body as everything else.
async fn not_found() -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    ApiError::not_found("route").error_response()
}
