//! Records with a lifetime are deleted when it is over: idempotency
//! responses after 24 h, refresh tokens and revoked logins after 30 days.

use jiff::SignedDuration;
use serde_json::json;

use crate::helpers::*;

#[actix_rt::test]
async fn idempotency_records_are_swept_after_a_day_and_not_before() {
    let clock = ManualClock::new();
    let app = spawn_app_on(tempfile::tempdir().unwrap(), |_| {}, clock.clone()).await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}]),
        ))
        .await;
    let (ann, ann_id) = app.register("ann@example.com").await;
    let r = app
        .client
        .post(format!("{}/venues/{venue}/bookings", app.address))
        .bearer_auth(&ann)
        .header("Idempotency-Key", "order-1")
        .json(&json!({"start": evening_text(3), "party_size": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let slot = [ann_id.as_bytes(), b"\0", b"order-1"].concat();
    let kept = || app.engine.idempotency_record(slot.clone());
    assert!(kept().await.unwrap().is_some());

    clock.advance(SignedDuration::from_hours(23));
    booking_engine::startup::sweep(&app.state).await;
    assert!(kept().await.unwrap().is_some(), "still replayable at 23 h");

    clock.advance(SignedDuration::from_hours(2));
    booking_engine::startup::sweep(&app.state).await;
    assert!(kept().await.unwrap().is_none(), "gone after 24 h");
}

#[actix_rt::test]
async fn spent_refresh_tokens_and_revoked_logins_are_swept_when_they_expire() {
    let clock = ManualClock::new();
    let app = spawn_app_on(tempfile::tempdir().unwrap(), |_| {}, clock.clone()).await;
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
    let second = body(r).await["refresh_token"].as_str().unwrap().to_string();
    let r = app
        .post("/auth/refresh", None, &json!({"refresh_token": second}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    // The first again, long after: reuse, the login is revoked.
    clock.advance(SignedDuration::from_secs(60));
    let r = app
        .post("/auth/refresh", None, &json!({"refresh_token": first}))
        .await;
    assert_eq!(r.status().as_u16(), 401);

    let accounts = &app.state.accounts;
    assert_eq!(
        accounts.sweep(&app.engine).await.unwrap(),
        0,
        "nothing has expired yet"
    );
    clock.advance(SignedDuration::from_hours(31 * 24));
    // Ann's three tokens, her revoked login, and the admin's token.
    let removed = accounts.sweep(&app.engine).await.unwrap();
    assert_eq!(removed, 5);
    assert_eq!(accounts.sweep(&app.engine).await.unwrap(), 0);
}
