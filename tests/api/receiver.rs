//! A webhook receiver on port 0: records what it is sent and answers as
//! the test sets it (fail the next N requests, be down, hang).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub event_id: String,
    pub signature: String,
    pub content_type: String,
    pub raw: String,
    pub body: Value,
    /// What the receiver answered.
    pub status: u16,
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Received>>,
    fail_next: AtomicU32,
    down: AtomicBool,
    hang: AtomicBool,
}

pub struct Receiver {
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    /// Fails (500) the next `n` requests.
    pub fn fail_next(&self, n: u32) {
        self.state.fail_next.store(n, Ordering::SeqCst);
    }

    /// Answers 503 to everything while down.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Never answers while hanging.
    pub fn set_hang(&self, hang: bool) {
        self.state.hang.store(hang, Ordering::SeqCst);
    }

    /// Every request received, in arrival order.
    pub fn all(&self) -> Vec<Received> {
        self.state.seen.lock().unwrap().clone()
    }

    /// The requests it answered 2xx, deduplicated by event id, in order.
    pub fn delivered(&self) -> Vec<Received> {
        let mut seen = std::collections::HashSet::new();
        self.all()
            .into_iter()
            .filter(|r| r.status == 200 && seen.insert(r.event_id.clone()))
            .collect()
    }

    /// Waits (up to `secs`) until `n` distinct events were delivered.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.delivered();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn hook(state: web::Data<Arc<State>>, req: HttpRequest, raw: web::Bytes) -> HttpResponse {
    if state.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let status = if state.down.load(Ordering::SeqCst) {
        503
    } else if state
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        500
    } else {
        200
    };
    let text = String::from_utf8_lossy(&raw).to_string();
    state.seen.lock().unwrap().push(Received {
        event_id: header("booking-event-id"),
        signature: header("booking-signature"),
        content_type: header("content-type"),
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        raw: text,
        status,
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

/// Starts a receiver on this test's runtime.
pub fn start() -> Receiver {
    let state = Arc::new(State::default());
    let data = web::Data::new(state.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(hook))
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    Receiver {
        url: format!("http://127.0.0.1:{port}/hook"),
        state,
    }
}

/// Checks a `Booking-Signature` header as a receiver would (written here
/// from the contract, not with the server's code): HMAC-SHA256 keyed by
/// the secret string over `"<t>.<raw body>"`, hex.
pub fn verify(secret: &str, header: &str, raw: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x),
            Some(("v1", x)) => v1 = Some(x),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{raw}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}
