//! Accounts and tokens over HTTP.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::helpers::*;

#[actix_rt::test]
async fn register_login_and_me() {
    let app = spawn_app().await;
    let r = app.post("/auth/register", None, &json!({"email": "Ann@Example.com", "password": "password-123", "name": "Ann", "role": "admin"})).await;
    assert_eq!(r.status().as_u16(), 201);
    let b = body(r).await;
    assert_eq!(b["user"]["email"], "ann@example.com");
    assert_eq!(
        b["user"]["role"], "customer",
        "a role sent to register is ignored"
    );
    assert!(b["expires_in"].as_u64().unwrap() > 0);
    assert!(b["refresh_token"].is_string());

    let r = app
        .post(
            "/auth/login",
            None,
            &json!({"email": "ann@example.com", "password": "password-123"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let token = body(r).await["access_token"].as_str().unwrap().to_string();
    let me = body(app.get("/me", Some(&token)).await).await;
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some("ann@example.com"), Some("customer"))
    );
    assert_eq!(me["staff_of"], json!([]));
}

#[actix_rt::test]
async fn registration_refuses_duplicates_short_passwords_and_bad_emails() {
    let app = spawn_app().await;
    app.register("ann@example.com").await;
    let again = app
        .post(
            "/auth/register",
            None,
            &json!({"email": "ANN@example.com", "password": "password-123"}),
        )
        .await;
    assert_eq!(again.status().as_u16(), 409);
    assert_eq!(body(again).await["error"]["code"], "conflict");
    let short = app
        .post(
            "/auth/register",
            None,
            &json!({"email": "bob@example.com", "password": "short"}),
        )
        .await;
    assert_eq!(short.status().as_u16(), 422);
    assert_eq!(body(short).await["error"]["details"]["field"], "password");
    let bad = app
        .post(
            "/auth/register",
            None,
            &json!({"email": "not-an-email", "password": "password-123"}),
        )
        .await;
    assert_eq!(body(bad).await["error"]["details"]["field"], "email");
    let missing = app
        .post("/auth/register", None, &json!({"password": "password-123"}))
        .await;
    assert_eq!(missing.status().as_u16(), 422);
    assert_eq!(body(missing).await["error"]["details"]["field"], "email");
}

#[actix_rt::test]
async fn wrong_credentials_are_401() {
    let app = spawn_app().await;
    app.register("ann@example.com").await;
    for (email, password) in [
        ("ann@example.com", "wrong-password"),
        ("nobody@example.com", "password-123"),
    ] {
        let r = app
            .post(
                "/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 401);
        assert_eq!(body(r).await["error"]["code"], "unauthorized");
    }
}

#[actix_rt::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_whole_login() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/auth/register",
            None,
            &json!({"email": "ann@example.com", "password": "password-123"}),
        )
        .await;
    let first = body(r).await["refresh_token"].as_str().unwrap().to_string();
    let r = app
        .post("/auth/refresh", None, &json!({"refresh_token": first}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let second = body(r).await["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let r = app
        .post("/auth/refresh", None, &json!({"refresh_token": second}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let third = body(r).await["refresh_token"].as_str().unwrap().to_string();
    // The first one again, after its successor was used (no retry grace):
    // refused, and the whole family goes with it.
    assert_eq!(
        app.post("/auth/refresh", None, &json!({"refresh_token": first}))
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        app.post("/auth/refresh", None, &json!({"refresh_token": third}))
            .await
            .status()
            .as_u16(),
        401
    );
    // Another login is a new family and works.
    let r = app
        .post(
            "/auth/login",
            None,
            &json!({"email": "ann@example.com", "password": "password-123"}),
        )
        .await;
    let third = body(r).await["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.post("/auth/refresh", None, &json!({"refresh_token": third}))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.post("/auth/refresh", None, &json!({"refresh_token": "made-up"}))
            .await
            .status()
            .as_u16(),
        401
    );
}

fn forged(header: &str, claims: &serde_json::Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[actix_rt::test]
async fn forged_expired_wrong_algorithm_and_unsigned_tokens_are_401() {
    let app = spawn_app().await;
    let (token, user) = app.register("ann@example.com").await;
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({"sub": user, "role": "admin", "exp": now + 900, "iat": now});
    let signature = token.rsplit('.').next().unwrap();
    let bad = [
        forged(r#"{"alg":"HS256","typ":"JWT"}"#, &claims, signature),
        forged(r#"{"alg":"none","typ":"JWT"}"#, &claims, ""),
        forged(r#"{"alg":"HS512","typ":"JWT"}"#, &claims, signature),
        forged(r#"{"alg":"RS256","typ":"JWT"}"#, &claims, signature),
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &json!({"sub": user, "role": "customer", "exp": now - 3600, "iat": now - 7200}),
            &jsonwebtoken::EncodingKey::from_secret(b"not the server's secret at all!!"),
        )
        .unwrap(),
        "garbage".to_string(),
    ];
    for t in &bad {
        let r = app.get("/me", Some(t)).await;
        assert_eq!(r.status().as_u16(), 401, "{t}");
        assert_eq!(body(r).await["error"]["code"], "unauthorized");
        // Even on routes open to anyone, a bad token is refused.
        assert_eq!(app.get("/venues", Some(t)).await.status().as_u16(), 401);
    }
    assert_eq!(app.get("/me", None).await.status().as_u16(), 401);
    assert_eq!(app.get("/me", Some(&token)).await.status().as_u16(), 200);
}
