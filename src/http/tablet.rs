//! The venue tablet at `/tablet/`: static files embedded in the binary (the
//! tablet's own and the JavaScript client it is built on), no build step.

use crate::http::methods::Routes;
use actix_web::{HttpResponse, web};

/// (path under /tablet/, content type, contents)
const FILES: &[(&str, &str, &str)] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../../tablet/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../tablet/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../tablet/style.css"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_str!("../../tablet/dom.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../../tablet/i18n.js"),
    ),
    (
        "timeline.js",
        "text/javascript; charset=utf-8",
        include_str!("../../tablet/timeline.js"),
    ),
    (
        "panels.js",
        "text/javascript; charset=utf-8",
        include_str!("../../tablet/panels.js"),
    ),
    (
        "reports.js",
        "text/javascript; charset=utf-8",
        include_str!("../../tablet/reports.js"),
    ),
    (
        "lib/index.js",
        "text/javascript; charset=utf-8",
        include_str!("../../clients/js/src/index.js"),
    ),
    (
        "lib/client.js",
        "text/javascript; charset=utf-8",
        include_str!("../../clients/js/src/client.js"),
    ),
    (
        "lib/errors.js",
        "text/javascript; charset=utf-8",
        include_str!("../../clients/js/src/errors.js"),
    ),
    (
        "lib/transports.js",
        "text/javascript; charset=utf-8",
        include_str!("../../clients/js/src/transports.js"),
    ),
    (
        "lib/live.js",
        "text/javascript; charset=utf-8",
        include_str!("../../clients/js/src/live.js"),
    ),
];

/// Same-origin scripts, styles and sockets only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    let routes = crate::get_and_head!(Routes::new(), "/tablet", redirect);
    crate::get_and_head!(routes, "/tablet/{file:.*}", file).register(cfg);
}

async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/tablet/"))
        .finish()
}

async fn file(path: web::Path<String>) -> HttpResponse {
    match FILES.iter().find(|(name, _, _)| *name == path.as_str()) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header(("Content-Security-Policy", CSP))
            .insert_header(("Cache-Control", "no-cache"))
            .body(*body),
        None => {
            use actix_web::ResponseError;
            crate::http::ApiError::not_found("file").error_response()
        }
    }
}
