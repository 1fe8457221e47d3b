//! `GET /api/v1/openapi.json`, generated from the route table.

use actix_web::HttpResponse;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::http::ErrorCode;
use crate::http::routes::ROUTES;

/// The error codes by status, from the one table (`ErrorCode::ALL`).
fn errors_by_status() -> BTreeMap<u16, Vec<&'static str>> {
    let mut by = BTreeMap::<u16, Vec<&'static str>>::new();
    for code in ErrorCode::ALL {
        by.entry(code.status().as_u16())
            .or_default()
            .push(code.as_str());
    }
    by
}

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
        for (status, codes) in errors_by_status() {
            responses.insert(status.to_string(), json!({"description": codes.join(" or "), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
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
        "info": {"title": "booking-engine", "version": env!("CARGO_PKG_VERSION"), "description": "The booking engine's REST API. Errors: 409 conflict may carry details.reason \"limit\" (a per-customer limit); 429 and 503 carry Retry-After."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string", "enum": ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()}, "message": {"type": "string"}, "details": {"type": "object"}
            }}}}}
        }
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(build())
}
