//! One resource per path: `HEAD` wherever `GET` is served, and any other
//! method a path does not serve answered `405 method_not_allowed` with
//! `Allow` (API v1.1 §10), instead of falling through to 404.

use actix_web::{HttpResponse, ResponseError, Route, web};

use crate::http::{ApiError, ErrorCode};

/// A path's routes as (method name, route), in the order declared.
pub struct Routes {
    paths: Vec<(&'static str, Vec<(&'static str, Route)>)>,
}

impl Routes {
    pub fn new() -> Self {
        Self { paths: Vec::new() }
    }

    /// Adds one method of a path. `head` is the same handler for `HEAD`
    /// (actix-web sends its headers without the body); pass it with `get`.
    pub fn add(mut self, path: &'static str, method: &'static str, route: Route) -> Self {
        match self.paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push((method, route)),
            None => self.paths.push((path, vec![(method, route)])),
        }
        self
    }

    /// Registers each path as one resource that answers 405 otherwise.
    pub fn register(self, cfg: &mut web::ServiceConfig) {
        for (path, routes) in self.paths {
            let mut allow: Vec<String> = routes.iter().map(|(m, _)| m.to_uppercase()).collect();
            allow.sort();
            allow.dedup();
            let allow = allow.join(", ");
            let resource = routes
                .into_iter()
                .fold(web::resource(path), |r, (_, route)| r.route(route))
                .default_service(web::to(move || {
                    let allow = allow.clone();
                    async move { method_not_allowed(&allow) }
                }));
            cfg.service(resource);
        }
    }
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("this path serves {allow}"),
    )
    .error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allow) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

/// `GET` and `HEAD` of one handler, for [`Routes::add`].
#[macro_export]
macro_rules! get_and_head {
    ($routes:expr, $path:expr, $handler:expr) => {
        $routes
            .add($path, "get", actix_web::web::get().to($handler))
            .add($path, "head", actix_web::web::head().to($handler))
    };
}
