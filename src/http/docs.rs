//! The interactive API reference at `/api/docs/`: Swagger UI's files, which
//! `utoipa-swagger-ui` ships inside the crate (feature `vendored`), pointed
//! at `/api/v1/openapi.json`. Nothing is fetched from a CDN, so the page
//! works on a network without the internet.

use std::sync::{Arc, LazyLock};

use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::Config;

use crate::http::methods::Routes;

/// Same-origin only; Swagger UI sets inline styles and draws icons from
/// `data:` URLs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::from("/api/v1/openapi.json")
            .display_operation_id(true)
            .persist_authorization(false)
            .try_it_out_enabled(true),
    )
});

pub fn routes(cfg: &mut web::ServiceConfig) {
    let routes = crate::get_and_head!(Routes::new(), "/api/docs", redirect);
    crate::get_and_head!(routes, "/api/docs/{file:.*}", file).register(cfg);
}

async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/api/docs/"))
        .finish()
}

async fn file(path: web::Path<String>) -> HttpResponse {
    match utoipa_swagger_ui::serve(&path, CONFIG.clone()) {
        Ok(Some(file)) => HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header(("Content-Security-Policy", CSP))
            .insert_header(("Cache-Control", "no-cache"))
            .body(file.bytes.into_owned()),
        Ok(None) => {
            use actix_web::ResponseError;
            crate::http::ApiError::not_found("file").error_response()
        }
        Err(e) => {
            use actix_web::ResponseError;
            crate::http::ApiError::internal(format!("swagger ui: {e}")).error_response()
        }
    }
}
