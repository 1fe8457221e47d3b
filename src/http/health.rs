//! `GET /health` (the process is up), `GET /ready` (the store is open and
//! no sync has failed) and `GET /metrics` (Prometheus).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::AppState;
use crate::http::methods::Routes;

pub fn routes(cfg: &mut web::ServiceConfig) {
    let routes = crate::get_and_head!(Routes::new(), "/health", health);
    let routes = crate::get_and_head!(routes, "/ready", ready);
    crate::get_and_head!(routes, "/metrics", prometheus).register(cfg);
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let engine = &state.engine;
    let body = json!({
        "ready": engine.is_ready(),
        "store": engine.store_name(),
        "venues_resident": engine.resident_venues(),
    });
    if engine.is_ready() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text format. Gauges read from live state are set here.
async fn prometheus(state: web::Data<AppState>) -> HttpResponse {
    metrics::gauge!("venues_resident").set(state.engine.resident_venues() as f64);
    metrics::gauge!("engine_ready").set(if state.engine.is_ready() { 1.0 } else { 0.0 });
    if let Ok((depth, oldest)) = state.outbox.backlog().await {
        metrics::gauge!("outbox_queue_depth").set(depth as f64);
        metrics::gauge!("outbox_oldest_undelivered_seconds").set(oldest as f64);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::telemetry::metrics().render())
}
