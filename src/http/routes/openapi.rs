//! `GET /api/v1/openapi.json`, generated from the route table.

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

use crate::http::routes::ROUTES;

/// The error codes of API.md's table, by status.
const ERRORS: &[(&str, &str)] = &[
    ("400", "malformed_request"),
    ("401", "unauthorized"),
    ("403", "forbidden"),
    ("404", "not_found"),
    ("405", "method_not_allowed (with Allow)"),
    ("408", "request_timeout (the body did not arrive in time)"),
    (
        "409",
        "slot_unavailable or conflict (details.reason \"limit\": a per-customer limit)",
    ),
    ("410", "hold_expired"),
    ("413", "payload_too_large"),
    ("422", "validation_failed or idempotency_key_reused"),
    ("429", "rate_limited (with Retry-After)"),
    ("500", "internal"),
    (
        "503",
        "unavailable (the store refused a write, or logins are queued too long; retry later, see Retry-After)",
    ),
];

/// The OpenAPI 3.1 document of every route.
pub fn build() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut responses = Map::new();
        responses.insert(route.status.to_string(), json!({"description": "success"}));
        for (status, codes) in ERRORS {
            responses.insert((*status).to_string(), json!({"description": codes, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
        }
        let mut op =
            json!({"summary": route.summary, "parameters": params, "responses": responses});
        match route.auth {
            "bearer" => op["security"] = json!([{"bearer": []}]),
            _ => op["security"] = json!([]),
        }
        let entry = paths
            .entry(format!("/api/v1{}", route.path))
            .or_insert_with(|| json!({}));
        entry[route.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "booking-engine", "version": env!("CARGO_PKG_VERSION"), "description": "The booking engine's REST API (see API.md)."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}
            }}}}}
        }
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(build())
}
