//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, built from the
//! route table (every served route, and only those) and from the request
//! and response types' `ToSchema` derives, so it describes what the
//! handlers really take and answer.

use std::borrow::Cow;
use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::http::ErrorCode;
use crate::http::routes::params::Param;
use crate::http::routes::{ROUTES, RouteDoc};
use crate::http::views::Page;

/// Component schemas collected while the document is built.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// Adds `T` and what it refers to the components; returns its `$ref`.
pub fn schema_of<T: ToSchema>(out: &mut Schemas) -> Value {
    T::schemas(out);
    let name: Cow<str> = T::name();
    out.push((name.to_string(), T::schema()));
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A page of `T`: inline (the generic's name alone would not tell pages
/// apart), with `T` in the components.
pub fn page_of<T: ToSchema>(out: &mut Schemas) -> Value {
    schema_of::<T>(out);
    <Page<T> as utoipa::ToSchema>::schemas(out);
    serde_json::to_value(<Page<T> as utoipa::PartialSchema>::schema()).unwrap_or_default()
}

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

fn parameter(p: &Param, place: &str) -> Value {
    let schema = match p.kind {
        "date" | "date-time" => json!({"type": "string", "format": p.kind}),
        kind => json!({"type": kind}),
    };
    json!({"name": p.name, "in": place, "required": p.required, "description": p.description, "schema": schema})
}

fn path_parameters(path: &str) -> impl Iterator<Item = Value> + '_ {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
}

/// The operation's id: the handler's name, which the JS client's method
/// names follow (`bookings::create` → `bookings_create`).
fn operation_id(route: &RouteDoc) -> String {
    route
        .handler
        .replace("::", "_")
        .replace("crate_http_ws_", "ws_")
}

fn operation(route: &RouteDoc, schemas: &mut Schemas) -> Value {
    let mut params: Vec<Value> = path_parameters(route.path).collect();
    params.extend(route.query.iter().map(|p| parameter(p, "query")));
    if route.idempotent {
        params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Retry-safe: the same key and body answer the first response again (24 h)",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}}));
    }
    let mut responses = Map::new();
    let ok = match (route.response, route.media) {
        (Some(schema), media) => {
            json!({"description": "success", "content": {media: {"schema": schema(schemas)}}})
        }
        (None, "application/json") => json!({"description": "success, no body"}),
        (None, media) => {
            json!({"description": "success", "content": {media: {"schema": {"type": "string"}}}})
        }
    };
    responses.insert(route.status.to_string(), ok);
    for status in errors_by_status().keys() {
        responses.insert(
            status.to_string(),
            json!({"$ref": format!("#/components/responses/Error{status}")}),
        );
    }
    let mut op = json!({
        "operationId": operation_id(route),
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": params,
        "responses": responses,
        "security": match route.auth {
            "bearer" => json!([{"bearer": []}]),
            "optional" => json!([{}, {"bearer": []}]),
            _ => json!([]),
        },
    });
    if let Some(body) = route.request {
        op["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": body(schemas)}}});
    }
    if route.path == "/ws" {
        op["description"] = json!(crate::http::ws::schema::DESCRIPTION);
    }
    op
}

/// The OpenAPI 3.1 document of every route.
pub fn build() -> Value {
    let mut schemas = Schemas::new();
    let mut paths = Map::new();
    for route in ROUTES {
        let op = operation(route, &mut schemas);
        let entry = paths
            .entry(format!("/api/v1{}", route.path))
            .or_insert_with(|| json!({}));
        entry[route.method] = op;
    }
    crate::http::ws::schema::frames(&mut schemas);
    let mut components: Map<String, Value> = schemas
        .into_iter()
        .map(|(name, s)| (name, serde_json::to_value(s).unwrap_or_default()))
        .collect();
    components.insert("Error".into(), json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "enum": ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()},
        "message": {"type": "string"},
        "details": {"type": "object"}
    }}}}));
    let errors: Map<String, Value> = errors_by_status()
        .into_iter()
        .map(|(status, codes)| {
            let response = json!({"description": codes.join(" or "), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            (format!("Error{status}"), response)
        })
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "booking-engine",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The booking engine's REST API and its WebSocket protocol (`GET /ws`). A guide with the flows of a mini-program is in docs/guide.md. Errors: 409 conflict may carry details.reason \"limit\" (a per-customer limit); 429 and 503 carry Retry-After.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": components,
            "responses": errors,
        }
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(build())
}
