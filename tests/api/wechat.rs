//! WeChat sign-in, linking and the caller's profile (API v1.1 §1), through
//! the real server talking to a fake WeChat on port 0.

use std::time::{Duration, Instant};

use booking_engine::domain::UserId;
use serde_json::{Value, json};

use crate::fake_wechat::{self, APPID, FakeWeChat, SECRET, SESSION_KEY};
use crate::helpers::*;

async fn app_with(fake: &FakeWeChat, secret: &str) -> TestApp {
    let (base, secret) = (fake.base.clone(), secret.to_string());
    spawn_app_with(move |s| {
        s.wechat.appid = Some(APPID.into());
        s.wechat.secret = Some(secret);
        s.wechat.api_base = base;
    })
    .await
}

async fn sign_in(app: &TestApp, code: &str) -> (u16, Value, Option<String>) {
    let r = app.post("/auth/wechat", None, &json!({"code": code})).await;
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("Retry-After")
        .map(|v| v.to_str().unwrap().to_string());
    (status, body(r).await, retry)
}

/// Every file under a directory, read whole.
fn every_file(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[actix_rt::test]
async fn a_wechat_code_makes_the_account_once_and_signs_it_in_after() {
    let fake = fake_wechat::start();
    let app = app_with(&fake, SECRET).await;

    let (status, first, _) = sign_in(&app, "good-amy").await;
    assert_eq!(status, 201, "{first}");
    let user = &first["user"];
    assert_eq!(user["has_wechat"], true);
    assert_eq!(user["email"], Value::Null);
    assert_eq!(user["phone"], Value::Null);
    assert_eq!(user["role"], "customer");
    let code = user["friend_code"].as_str().unwrap();
    assert_eq!(code.len(), 8, "{code}");
    assert!(first["refresh_token"].is_string() && first["expires_in"].is_u64());
    let text = first.to_string();
    assert!(
        !text.contains(SESSION_KEY) && !text.contains("o-amy"),
        "{text}"
    );

    let token = first["access_token"].as_str().unwrap();
    let me = body(app.get("/me", Some(token)).await).await;
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["has_wechat"], true);

    // Another code of the same WeChat user: the same account, 200.
    let (status, again, _) = sign_in(&app, "good-amy.2").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["user"]["id"], user["id"]);
    assert_eq!(again["user"]["friend_code"], user["friend_code"]);
    // The unionid is kept (it is not shown).
    let id = UserId::from(user["id"].as_str().unwrap());
    let stored = app.state.accounts.user(&id).unwrap().unwrap();
    assert_eq!(stored.unionid.as_deref(), Some("u-amy"));
    assert_eq!(stored.openid.as_deref(), Some("o-amy"));

    // A WeChat account without unionid.
    let (status, plain, _) = sign_in(&app, "plain-bo").await;
    assert_eq!(status, 201, "{plain}");
    assert_ne!(plain["user"]["id"], user["id"]);

    // Neither the session key nor the app secret is anywhere on disk.
    app.engine.store().checkpoint().unwrap();
    for (path, bytes) in every_file(app.data_dir()) {
        for secret in [SESSION_KEY, SECRET] {
            assert!(!contains(&bytes, secret), "{secret} in {}", path.display());
        }
    }
}

#[actix_rt::test]
async fn each_wechat_answer_has_the_contracts_status() {
    let fake = fake_wechat::start();
    let app = app_with(&fake, SECRET).await;
    let (status, _, _) = sign_in(&app, "good-cy").await;
    assert_eq!(status, 201);
    let cases: [(&str, u16, &str, bool); 7] = [
        ("good-cy", 401, "unauthorized", false),  // used code: 40163
        ("bad-code", 401, "unauthorized", false), // 40029
        ("throttled", 429, "rate_limited", true), // 45011
        ("blocked", 403, "forbidden", false),     // 40226
        ("busy", 503, "unavailable", true),       // -1
        ("odd", 503, "unavailable", true),        // any other errcode
        ("html", 503, "unavailable", true),       // not JSON
    ];
    for (code, want, error, retry) in cases {
        let (status, body, retry_after) = sign_in(&app, code).await;
        assert_eq!(status, want, "{code}: {body}");
        assert_eq!(body["error"]["code"], error, "{code}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 5);
        assert_eq!(retry_after.is_some(), retry, "{code}: Retry-After");
    }
    // An empty or absurd code is refused without asking WeChat.
    let calls = fake.calls();
    for code in [String::new(), "x".repeat(500)] {
        let (status, _, _) = sign_in(&app, &code).await;
        assert_eq!(status, 401);
    }
    assert_eq!(fake.calls(), calls);
    let r = app.post("/auth/wechat", None, &json!({})).await;
    assert_eq!(r.status().as_u16(), 422, "a missing code names it");

    // A WeChat that never answers: 503 within 6 s.
    let started = Instant::now();
    let (status, body, retry) = sign_in(&app, "hang").await;
    assert_eq!(status, 503, "{body}");
    assert!(retry.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[actix_rt::test]
async fn without_an_appid_or_with_a_wrong_secret_sign_in_is_unavailable() {
    let app = spawn_app().await;
    let (status, body, _) = sign_in(&app, "good-dee").await;
    assert_eq!(status, 503, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("not configured"), "{message}");

    // WeChat refuses our secret (40125): not the user's fault, 503.
    let fake = fake_wechat::start();
    let app = app_with(&fake, "a-wrong-secret").await;
    let (status, body, retry) = sign_in(&app, "good-dee").await;
    assert_eq!(status, 503, "{body}");
    assert!(retry.is_some());
    assert!(!body.to_string().contains("a-wrong-secret"));
}

#[actix_rt::test]
async fn an_email_account_links_its_wechat_user_once() {
    let fake = fake_wechat::start();
    let app = app_with(&fake, SECRET).await;
    let (eve, eve_id) = app.register("eve@example.com").await;
    let (fay, _) = app.register("fay@example.com").await;

    let r = app
        .post("/me/wechat", None, &json!({"code": "good-eve"}))
        .await;
    assert_eq!(r.status().as_u16(), 401);
    let r = app
        .post("/me/wechat", Some(&eve), &json!({"code": "bad"}))
        .await;
    assert_eq!(r.status().as_u16(), 422, "a bad code names the field");
    assert_eq!(body(r).await["error"]["details"]["field"], "code");

    let r = app
        .post("/me/wechat", Some(&eve), &json!({"code": "good-eve"}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let linked = body(r).await;
    assert_eq!(linked["has_wechat"], true);
    assert_eq!(linked["email"], "eve@example.com");

    // Signing in with WeChat now finds the email account.
    let (status, session, _) = sign_in(&app, "good-eve.2").await;
    assert_eq!(status, 200);
    assert_eq!(session["user"]["id"], eve_id.as_str());

    // The same WeChat user again: 200; another account: 409.
    let r = app
        .post("/me/wechat", Some(&eve), &json!({"code": "good-eve.3"}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .post("/me/wechat", Some(&fay), &json!({"code": "good-eve.4"}))
        .await;
    assert_eq!(r.status().as_u16(), 409);
    // Eve's account is linked already: another WeChat user is 409.
    let r = app
        .post("/me/wechat", Some(&eve), &json!({"code": "good-gus"}))
        .await;
    assert_eq!(r.status().as_u16(), 409);
    let me = body(app.get("/me", Some(&fay)).await).await;
    assert_eq!(me["has_wechat"], false);
}

#[actix_rt::test]
async fn patch_me_sets_and_clears_name_and_phone() {
    let app = spawn_app().await;
    let (token, _) = app.register("hal@example.com").await;
    let r = app
        .patch(
            "/me",
            Some(&token),
            &json!({"name": "Hal", "phone": "+86 138-0013-8000"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let user = body(r).await;
    assert_eq!(user["name"], "Hal");
    assert_eq!(user["phone"], "+8613800138000");

    for bad in [
        json!({"phone": "13800138000"}),
        json!({"phone": "+12"}),
        json!({"name": ""}),
        json!({"name": "x".repeat(201)}),
        json!({"phone": 12345678}),
    ] {
        let r = app.patch("/me", Some(&token), &bad).await;
        let status = r.status().as_u16();
        assert!(status == 422 || status == 400, "{bad}: {status}");
    }
    let me = body(app.get("/me", Some(&token)).await).await;
    assert_eq!(me["phone"], "+8613800138000", "bad input changed nothing");
    assert_eq!(me["name"], "Hal");

    // Omitted: unchanged; null: cleared.
    let r = app
        .patch("/me", Some(&token), &json!({"phone": null}))
        .await;
    let user = body(r).await;
    assert_eq!(user["phone"], Value::Null);
    assert_eq!(user["name"], "Hal");
    let r = app.patch("/me", None, &json!({"name": "Nobody"})).await;
    assert_eq!(r.status().as_u16(), 401);
}

#[actix_rt::test]
async fn wechat_sign_in_and_linking_share_the_auth_limit_whatever_the_spelling() {
    let fake = fake_wechat::start();
    let base = fake.base.clone();
    let app = spawn_app_with(move |s| {
        s.wechat.appid = Some(APPID.into());
        s.wechat.secret = Some(SECRET.into());
        s.wechat.api_base = base;
        s.rate_limit = true;
        s.limits.auth_per_minute = 4;
    })
    .await;
    // The admin's login at start took one of the address's four.
    let (token, _) = app.register("ivy@example.com").await;
    let root = app.root();
    let paths = [
        "/api/v1/auth/wechat",
        "/api/v1/%61uth/wechat",
        "/api/v1/me/wechat",
        "/api/v1//me/wechat/",
        "/api/v1/ME/%77echat",
        "/api/v1/auth//WeChat",
    ];
    let mut statuses = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let r = app
            .post(
                &format!("{root}{path}"),
                Some(&token),
                &json!({"code": format!("good-lim{i}")}),
            )
            .await;
        statuses.push(r.status().as_u16());
    }
    // Registering took the second: two left for six spellings.
    assert_eq!(
        statuses.iter().filter(|s| **s != 429).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(fake.calls(), 2, "refused requests never reach WeChat");
}
