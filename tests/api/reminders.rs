//! Reminders (API v1.1 §7) under a test clock, through the real server: a
//! reminder comes once at start − `reminder_minutes` on a webhook, on the
//! owner's `user:bookings` and as a WeChat subscribe message (to the fake
//! WeChat); a moved booking is reminded for its new start, a cancelled one
//! not at all, one made inside the window neither; 43101 is not retried.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::fake_wechat::{self, APPID, SECRET};
use crate::helpers::{
    ManualClock, TestApp, body, evening_text, numbered_tables as tables, restaurant, spawn_app_on,
};
use crate::receiver;
use crate::ws::connect;

async fn sign_in(app: &TestApp, code: &str) -> String {
    let r = app.post("/auth/wechat", None, &json!({"code": code})).await;
    assert!(r.status().is_success());
    body(r).await["access_token"].as_str().unwrap().to_string()
}

async fn book(app: &TestApp, venue: &str, token: &str, start: &str, note: Option<&str>) -> String {
    let mut payload = json!({"start": start, "party_size": 2});
    if let Some(n) = note {
        payload["note"] = json!(n);
    }
    let r = app
        .post(&format!("/venues/{venue}/bookings"), Some(token), &payload)
        .await;
    assert_eq!(r.status().as_u16(), 201);
    body(r).await["id"].as_str().unwrap().to_string()
}

/// Moves the clock to `at` and makes the venue look at it (its timer
/// would, within 30 s; a change does at once).
async fn travel(app: &TestApp, clock: &ManualClock, venue: &str, at: Timestamp) {
    clock.advance(at.duration_since(booking_engine::clock::Clock::now(clock)));
    let r = app
        .patch(
            &format!("/venues/{venue}"),
            Some(&app.admin),
            &json!({"description": "poked"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
}

/// The webhook's reminders so far, as booking ids.
fn reminded(hook: &receiver::Receiver) -> Vec<String> {
    hook.delivered()
        .iter()
        .map(|r| r.body["data"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// The socket's next `booking.reminder` (other events pass by).
async fn next_reminder(ws: &mut crate::ws::Ws) -> Value {
    loop {
        let frame = ws.next().await;
        if frame["event"] == "booking.reminder" {
            return frame;
        }
    }
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

#[actix_rt::test]
async fn a_reminder_comes_once_everywhere_moves_with_its_booking_and_not_when_cancelled() {
    let fake = fake_wechat::start();
    let clock = ManualClock::new();
    let base = fake.base.clone();
    let app = spawn_app_on(
        tempfile::tempdir().unwrap(),
        move |s| {
            s.wechat.appid = Some(APPID.into());
            s.wechat.secret = Some(SECRET.into());
            s.wechat.api_base = base;
            s.webhooks.retry_base_ms = 50;
        },
        clock.clone() as Arc<dyn booking_engine::clock::Clock>,
    )
    .await;
    let mut venue_body = restaurant(tables(6));
    venue_body["reminder_minutes"] = json!(120);
    venue_body["wechat_reminder_template_id"] = json!("tmpl-reminder-1");
    let venue = app.create_venue(&venue_body).await;
    let shown = body(app.get(&format!("/venues/{venue}"), None).await).await;
    assert_eq!(shown["reminder_minutes"], 120);
    let hook = receiver::start();
    let r = app
        .post(
            &format!("/venues/{venue}/webhooks"),
            Some(&app.admin),
            &json!({"url": hook.url, "events": ["booking.reminder"]}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);

    let ann = sign_in(&app, "good-ann").await;
    let nosub = sign_in(&app, "good-nosub").await;
    let mut ws = connect(&app, Some(&ann)).await;
    ws.subscribe(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;

    let start_text = evening_text(2);
    let start: Timestamp = start_text.parse().unwrap();
    let later = (start + SignedDuration::from_hours(1)).to_string();
    let kept = book(
        &app,
        &venue,
        &ann,
        &start_text,
        Some("window seat for a birthday dinner"),
    )
    .await;
    let moved = book(&app, &venue, &ann, &start_text, None).await;
    let cancelled = book(&app, &venue, &ann, &start_text, None).await;
    let unsubscribed = book(&app, &venue, &nosub, &start_text, None).await;
    let r = app
        .patch(
            &format!("/bookings/{moved}"),
            Some(&ann),
            &json!({"start": later}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .post(
            &format!("/bookings/{cancelled}/cancel"),
            Some(&ann),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);

    // A second before the reminders are due: nothing.
    let due = start - SignedDuration::from_mins(120);
    travel(&app, &clock, &venue, due - SignedDuration::from_secs(1)).await;
    settle().await;
    assert!(hook.all().is_empty());
    // Due: the two unmoved live bookings, once each.
    travel(&app, &clock, &venue, due).await;
    let mut got = hook.wait_for(2, 10).await;
    got.sort_by_key(|r| r.body["seq"].as_u64());
    let mut first: Vec<String> = reminded(&hook);
    first.sort();
    let mut want = vec![kept.clone(), unsubscribed.clone()];
    want.sort();
    assert_eq!(first, want);
    assert!(got.iter().all(|r| r.body["type"] == "booking.reminder"));
    // Made inside the window now: none for it.
    let inside = book(&app, &venue, &ann, &start_text, None).await;

    // The owner's socket got it too.
    let frame = next_reminder(&mut ws).await;
    assert_eq!(frame["data"]["id"], kept.as_str());
    assert_eq!(frame["topic"], "user:bookings");

    // WeChat: one message each; 43101 for the one who did not subscribe,
    // not retried.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fake.messages().len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let messages = fake.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let to_ann = messages.iter().find(|m| m["touser"] == "o-ann").unwrap();
    assert_eq!(to_ann["template_id"], "tmpl-reminder-1");
    assert_eq!(to_ann["page"], format!("pages/booking/detail?id={kept}"));
    assert_eq!(to_ann["data"]["thing1"]["value"], "Lotus Garden");
    let local = start
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    assert_eq!(to_ann["data"]["time2"]["value"], local);
    assert_eq!(to_ann["data"]["number3"]["value"], "2");
    assert_eq!(
        to_ann["data"]["thing4"]["value"], "window seat for a bi",
        "cut to 20"
    );
    assert!(messages.iter().any(|m| m["touser"] == "o-nosub"));
    assert_eq!(fake.token_calls(), 1, "the token is cached");

    // The moved booking's reminder comes for its new start; WeChat's token
    // is refused on the way (40001) and fetched again once.
    fake.revoke_tokens();
    travel(&app, &clock, &venue, due + SignedDuration::from_hours(1)).await;
    hook.wait_for(3, 10).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fake
        .messages()
        .iter()
        .filter(|m| m["touser"] == "o-ann")
        .count()
        < 2
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fake.token_calls(), 2);
    let frame = next_reminder(&mut ws).await;
    assert_eq!(frame["data"]["id"], moved.as_str());
    // Later still: nothing more, ever (the cancelled, the inside one).
    travel(&app, &clock, &venue, start).await;
    settle().await;
    let all = reminded(&hook);
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all.last(), Some(&moved));
    assert!(!all.contains(&cancelled) && !all.contains(&inside));
    let nosub_sends = fake
        .messages()
        .iter()
        .filter(|m| m["touser"] == "o-nosub")
        .count();
    assert_eq!(nosub_sends, 1, "43101 is not retried");
    let metrics = app
        .client
        .get(format!("{}/metrics", app.root()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"outbox_deliveries_total{channel="wechat",outcome="not_subscribed"}"#),
        "{metrics}"
    );
}
