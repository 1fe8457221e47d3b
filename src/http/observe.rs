//! Every request gets an id (the client's `X-Request-Id` if sane, else a new
//! one), a tracing span carrying it (so every log line the request causes
//! names it), the id echoed in the response, and its count and latency in
//! the metrics, by route pattern and status.

use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use futures::future::LocalBoxFuture;
use tracing::Instrument;

use crate::ids::new_id;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client-sent request id is kept if it is short printable ASCII.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(new_id, str::to_string)
}

/// A request path as it may be logged: a calendar feed's path is its
/// secret (API v1.1 §12), so it is replaced by the route's pattern.
pub fn loggable(path: &str) -> std::borrow::Cow<'_, str> {
    match path.find("/calendar/") {
        Some(at) => format!("{}/calendar/{{token}}", &path[..at]).into(),
        None => path.into(),
    }
}

/// The middleware body, for `App::wrap_fn`.
pub fn observe<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> LocalBoxFuture<'static, Result<ServiceResponse<B>, Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: 'static,
{
    let id = request_id(&req);
    let method = req.method().to_string();
    let path = loggable(req.path());
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let started = Instant::now();
    let fut = srv.call(req).instrument(span.clone());
    Box::pin(async move {
        let result = fut.await;
        // After routing the pattern is known without matching again.
        let (status, route) = match &result {
            Ok(r) => (
                r.status().as_u16(),
                r.request()
                    .match_pattern()
                    .unwrap_or_else(|| "unmatched".into()),
            ),
            Err(e) => (
                e.as_response_error().status_code().as_u16(),
                "unmatched".into(),
            ),
        };
        let elapsed = started.elapsed().as_secs_f64();
        span.in_scope(|| tracing::debug!(status, elapsed_ms = elapsed * 1000.0, "request done"));
        metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string()).increment(1);
        metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
            .record(elapsed);
        result.map(|mut response| {
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            response
        })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_calendar_feed_path_is_never_logged_with_its_token() {
        assert_eq!(
            super::loggable("/api/v1/calendar/s3cr3t-token.ics"),
            "/api/v1/calendar/{token}"
        );
        assert_eq!(
            super::loggable("/api/v1/bookings/b1"),
            "/api/v1/bookings/b1"
        );
    }
}
