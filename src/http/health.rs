//! `GET /health` (the process is up) and `GET /ready` (the store is open,
//! no sync has failed, and the venue actors answer).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready));
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let engine = &state.engine;
    let body = json!({
        "ready": engine.is_ready(),
        "store": engine.store().engine_name(),
        "venues_resident": engine.resident_venues(),
    });
    if engine.is_ready() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
