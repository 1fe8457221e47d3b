//! A small local server that answers `GET /sns/jscode2session` as WeChat's
//! does (we cannot reach WeChat from tests). The code decides the answer:
//!
//! - `good-NAME`: `openid` `o-NAME`, a `session_key`, `unionid` `u-NAME`;
//!   once only, a second use answers 40163 as WeChat does (`good-NAME.2`
//!   is another code of the same user);
//! - `plain-NAME`: the same without a `unionid`;
//! - `bad…` 40029, `throttled` 45011, `blocked` 40226, `busy` -1,
//!   `odd` 40013 (any other errcode), `html` a non-JSON page,
//!   `hang` never answers (the server's 5 s timeout).
//!
//! A wrong appid or secret answers 40013 / 40125 like the real one, so a
//! test that passes proves the server sent both.
//!
//! It also answers `GET /cgi-bin/token` (a fresh `tok-N` each call, valid
//! two hours, 40013/40125 for a wrong appid/secret) and
//! `POST /cgi-bin/message/subscribe/send`: 40001 for a token it did not
//! issue or has revoked (`revoke_tokens`), 43101 when the `touser` openid
//! contains `nosub` (the user has not subscribed), else 0, recording
//! every message it accepted or refused with 43101.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Deserialize;
use serde_json::json;

pub const APPID: &str = "wx-test-appid";
pub const SECRET: &str = "test-app-secret-never-logged";
/// What every `session_key` of the fake is: tests look for it where it
/// must never be.
pub const SESSION_KEY: &str = "c2Vzc2lvbi1rZXktbmV2ZXItc2hvd24=";

pub struct FakeWeChat {
    pub base: String,
    calls: Arc<Mutex<usize>>,
    messages: Arc<Mutex<Messages>>,
}

/// What the message API saw.
#[derive(Default)]
struct Messages {
    issued: Vec<String>,
    revoked: HashSet<String>,
    sent: Vec<serde_json::Value>,
    token_calls: usize,
}

impl FakeWeChat {
    /// How many exchanges it answered (or began to).
    pub fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }

    /// Every subscribe message it was sent with a valid token.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.messages.lock().unwrap().sent.clone()
    }

    /// How many access tokens it issued.
    pub fn token_calls(&self) -> usize {
        self.messages.lock().unwrap().token_calls
    }

    /// Makes every token issued so far invalid (40001 from now on).
    pub fn revoke_tokens(&self) {
        let mut m = self.messages.lock().unwrap();
        let issued = m.issued.clone();
        m.revoked.extend(issued);
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    grant_type: String,
    appid: String,
    secret: String,
}

async fn token(shared: web::Data<Shared>, q: web::Query<TokenQuery>) -> HttpResponse {
    if q.appid != APPID || q.grant_type != "client_credential" {
        return HttpResponse::Ok().json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
    }
    if q.secret != SECRET {
        return HttpResponse::Ok().json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
    }
    let mut m = shared.messages.lock().unwrap();
    m.token_calls += 1;
    let token = format!("tok-{}", m.token_calls);
    m.issued.push(token.clone());
    HttpResponse::Ok().json(json!({"access_token": token, "expires_in": 7200}))
}

#[derive(Deserialize)]
struct SendQuery {
    access_token: String,
}

async fn send(
    shared: web::Data<Shared>,
    q: web::Query<SendQuery>,
    body: web::Json<serde_json::Value>,
) -> HttpResponse {
    let mut m = shared.messages.lock().unwrap();
    if !m.issued.contains(&q.access_token) || m.revoked.contains(&q.access_token) {
        return HttpResponse::Ok().json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    let touser = body["touser"].as_str().unwrap_or("").to_string();
    m.sent.push(body.into_inner());
    if touser.contains("nosub") {
        return HttpResponse::Ok()
            .json(json!({"errcode": 43101, "errmsg": "user refuse to accept the msg"}));
    }
    HttpResponse::Ok().json(json!({"errcode": 0, "errmsg": "ok"}))
}

#[derive(Deserialize)]
struct Query {
    appid: String,
    secret: String,
    js_code: String,
    grant_type: String,
}

struct Shared {
    used: Arc<Mutex<HashSet<String>>>,
    calls: Arc<Mutex<usize>>,
    messages: Arc<Mutex<Messages>>,
}

async fn jscode2session(shared: web::Data<Shared>, q: web::Query<Query>) -> HttpResponse {
    *shared.calls.lock().unwrap() += 1;
    let error = |code: i64, msg: &str| {
        HttpResponse::Ok().json(json!({"errcode": code, "errmsg": format!("{msg}, rid: 1")}))
    };
    if q.appid != APPID {
        return error(40013, "invalid appid");
    }
    if q.secret != SECRET || q.grant_type != "authorization_code" {
        return error(40125, "invalid appsecret");
    }
    let code = q.js_code.as_str();
    let identity = |name: &str, union: bool| {
        if !shared.used.lock().unwrap().insert(code.to_string()) {
            return error(40163, "code been used");
        }
        let name = name.split('.').next().unwrap_or(name);
        let mut answer = json!({"openid": format!("o-{name}"), "session_key": SESSION_KEY});
        if union {
            answer["unionid"] = json!(format!("u-{name}"));
        }
        // WeChat serves JSON as text/plain.
        HttpResponse::Ok()
            .content_type("text/plain")
            .body(answer.to_string())
    };
    if let Some(name) = code.strip_prefix("good-") {
        return identity(name, true);
    }
    if let Some(name) = code.strip_prefix("plain-") {
        return identity(name, false);
    }
    match code {
        "throttled" => error(45011, "api minute-quota reach limit"),
        "blocked" => error(40226, "high risk user"),
        "busy" => error(-1, "system error"),
        "odd" => error(40013, "invalid appid"),
        "html" => HttpResponse::BadGateway()
            .content_type("text/html")
            .body("<html>502 Bad Gateway</html>"),
        "hang" => {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            error(-1, "too late")
        }
        _ => error(40029, "invalid code"),
    }
}

/// Starts the fake on port 0 of this test's runtime.
pub fn start() -> FakeWeChat {
    let used = Arc::new(Mutex::new(HashSet::new()));
    let calls = Arc::new(Mutex::new(0));
    let messages = Arc::new(Mutex::new(Messages::default()));
    let shared = web::Data::new(Shared {
        used,
        calls: calls.clone(),
        messages: messages.clone(),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .route("/sns/jscode2session", web::get().to(jscode2session))
            .route("/cgi-bin/token", web::get().to(token))
            .route("/cgi-bin/message/subscribe/send", web::post().to(send))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    FakeWeChat {
        base: format!("http://127.0.0.1:{port}"),
        calls,
        messages,
    }
}
