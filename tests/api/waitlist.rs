//! The waitlist (API v1.1 §5) through the real server: offers one by one,
//! pushed live; racers cannot snipe an offer; offers survive a restart.

use std::time::Duration;

use booking_engine::domain::{self, Caller, EntryId, EntryStatus};
use booking_engine::store::EngineKind;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::ws::connect;

/// One table for two.
fn one_table() -> Value {
    restaurant(json!([{"id": "t1", "name": "T1", "capacity": 2, "mode": "exclusive"}]))
}

async fn join(app: &TestApp, venue: &str, token: &str, start: &str) -> (u16, Value) {
    let body = json!({"date": &start[..10], "party_size": 2, "earliest": start, "latest": start});
    let r = app
        .post(&format!("/venues/{venue}/waitlist"), Some(token), &body)
        .await;
    (r.status().as_u16(), self::body(r).await)
}

/// The caller's entry `id` as `GET /waitlist` lists it.
async fn mine(app: &TestApp, token: &str, id: &Value) -> Value {
    let list = body(app.get("/waitlist", Some(token)).await).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == *id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

/// Polls until the entry has `status` (offers lapse on the venue's timer).
async fn until_status(app: &TestApp, token: &str, id: &Value, status: &str) -> Value {
    for _ in 0..100 {
        let e = mine(app, token, id).await;
        if e["status"] == status {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} never became {status}");
}

#[actix_rt::test]
async fn a_freed_table_is_offered_to_each_in_line_in_turn() {
    let app = spawn_app_with(|s| s.venues.offer_seconds = Some(2)).await;
    let id = app.create_venue(&one_table()).await;
    let start = evening_text(2);
    let (zed, _) = app.register("zed@example.com").await;
    let r = app
        .post(
            &format!("/venues/{id}/bookings"),
            Some(&zed),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    let taken = body(r).await;
    let mut line = Vec::new();
    for (i, who) in ["ann", "bob", "cat"].iter().enumerate() {
        let (token, _) = app.register(&format!("{who}@example.com")).await;
        let (status, entry) = join(&app, &id, &token, &start).await;
        assert_eq!(status, 201, "{entry}");
        assert_eq!(
            (entry["status"].as_str(), entry["position"].as_u64()),
            (Some("waiting"), Some(i as u64 + 1))
        );
        assert_eq!(entry["offer"], Value::Null);
        line.push((token, entry["id"].clone()));
    }
    let [(ann, w1), (bob, w2), (cat, w3)] = <[_; 3]>::try_from(line).unwrap();

    // Ann follows her bookings live; the cancellation offers her the table.
    let mut ws = connect(&app, Some(&ann)).await;
    ws.subscribe(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;
    let r = app
        .post(
            &format!("/bookings/{}/cancel", taken["id"].as_str().unwrap()),
            Some(&zed),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let pushed = tokio::time::timeout(Duration::from_secs(1), ws.next())
        .await
        .expect("the offer is pushed within a second");
    assert_eq!(
        (pushed["event"].as_str(), &pushed["data"]["id"]),
        (Some("waitlist.offered"), &w1),
        "{pushed}"
    );
    let offer = pushed["data"]["offer"].clone();
    assert_eq!(offer["start"], start);
    // Exactly one offer: the others wait, a place further up, and the
    // start is not free for anyone else.
    let b = mine(&app, &bob, &w2).await;
    assert_eq!(
        (b["status"].as_str(), b["position"].as_u64()),
        (Some("waiting"), Some(1))
    );
    let c = mine(&app, &cat, &w3).await;
    assert_eq!(c["position"], 2);
    let date = &start[..10];
    let day = body(
        app.get(
            &format!("/venues/{id}/availability?date={date}&party_size=2"),
            None,
        )
        .await,
    )
    .await;
    let slot = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"] == start)
        .unwrap()
        .clone();
    assert_eq!(slot["available"], false);

    // Ann declines: Bob is offered; a second decline is a conflict.
    let r = app
        .post(
            &format!("/waitlist/{}/decline", w1.as_str().unwrap()),
            Some(&ann),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await["status"], "missed");
    let r = app
        .post(
            &format!("/waitlist/{}/decline", w1.as_str().unwrap()),
            Some(&ann),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    until_status(&app, &bob, &w2, "offered").await;
    // Bob lets it lapse (two seconds here): Cat is offered.
    until_status(&app, &bob, &w2, "missed").await;
    let c = until_status(&app, &cat, &w3, "offered").await;
    assert_eq!(c["position"], Value::Null);
    let hold = c["offer"]["hold_id"].clone();
    // Only Cat may book it; with it, she does.
    let r = app
        .post(
            &format!("/venues/{id}/bookings"),
            Some(&bob),
            &json!({"hold_id": hold}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    let r = app
        .post(
            &format!("/venues/{id}/bookings"),
            Some(&cat),
            &json!({"hold_id": hold}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(mine(&app, &cat, &w3).await["status"], "booked");
    let r = app
        .delete(&format!("/waitlist/{}", w3.as_str().unwrap()), Some(&cat))
        .await;
    assert_eq!(r.status().as_u16(), 409, "a booked entry cannot leave");

    // Staff see the date's list; customers may not; strangers get 404.
    let list = body(
        app.get(
            &format!("/venues/{id}/waitlist?date={date}"),
            Some(&app.admin),
        )
        .await,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    let r = app
        .get(&format!("/venues/{id}/waitlist?date={date}"), Some(&bob))
        .await;
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .delete(&format!("/waitlist/{}", w2.as_str().unwrap()), Some(&zed))
        .await;
    assert_eq!(r.status().as_u16(), 404);
}

#[actix_rt::test]
async fn a_waitlist_entry_is_validated_and_limited() {
    let app = spawn_app().await;
    let id = app.create_venue(&one_table()).await;
    let start = evening_text(2);
    let (zed, _) = app.register("zed@example.com").await;
    app.post(
        &format!("/venues/{id}/bookings"),
        Some(&zed),
        &json!({"start": start, "party_size": 2}),
    )
    .await;
    let (ann, _) = app.register("ann@example.com").await;
    let other_day = evening_text(3);
    for (body, field) in [
        (
            json!({"date": &start[..10], "party_size": 2, "earliest": other_day, "latest": start}),
            "earliest",
        ),
        (
            json!({"date": &start[..10], "party_size": 2, "earliest": start, "latest": start.replace("T18:00", "T17:00")}),
            "latest",
        ),
        (
            json!({"date": &start[..10], "party_size": 9, "earliest": start, "latest": start}),
            "party_size",
        ),
        (
            json!({"date": "tomorrow", "party_size": 2, "earliest": start, "latest": start}),
            "date",
        ),
    ] {
        let r = app
            .post(&format!("/venues/{id}/waitlist"), Some(&ann), &body)
            .await;
        assert_eq!(r.status().as_u16(), 422, "{body}");
        assert_eq!(self::body(r).await["error"]["details"]["field"], field);
    }
    for _ in 0..3 {
        assert_eq!(join(&app, &id, &ann, &start).await.0, 201);
    }
    let (status, refused) = join(&app, &id, &ann, &start).await;
    assert_eq!(
        (status, refused["error"]["details"]["reason"].as_str()),
        (409, Some("limit"))
    );
    // Leaving makes room; leaving twice is fine.
    let mine = body(app.get("/waitlist", Some(&ann)).await).await;
    let first = mine["items"][0]["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let r = app.delete(&format!("/waitlist/{first}"), Some(&ann)).await;
        assert_eq!(r.status().as_u16(), 204);
    }
    assert_eq!(join(&app, &id, &ann, &start).await.0, 201);
    // The venue's waitlist settings are validated like the rest.
    for (patch, field) in [
        (
            json!({"waitlist_offer_minutes": 0}),
            "waitlist_offer_minutes",
        ),
        (
            json!({"waitlist_offer_minutes": 61}),
            "waitlist_offer_minutes",
        ),
        (
            json!({"max_waitlist_entries_per_customer": 1001}),
            "max_waitlist_entries_per_customer",
        ),
    ] {
        let r = app
            .patch(&format!("/venues/{id}"), Some(&app.admin), &patch)
            .await;
        assert_eq!(r.status().as_u16(), 422, "{patch}");
        assert_eq!(body(r).await["error"]["details"]["field"], field);
    }
    // Staff put a guest on the list: no account, a name.
    let r = app
        .post(
            &format!("/venues/{id}/waitlist"),
            Some(&app.admin),
            &json!({"date": &start[..10], "party_size": 2, "earliest": start, "latest": start, "guest": {"name": "Mr Wang"}}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let guest = body(r).await;
    assert_eq!(
        (guest["user_id"].clone(), guest["guest"]["name"].as_str()),
        (Value::Null, Some("Mr Wang"))
    );
}

#[actix_rt::test]
async fn fifty_racers_cannot_take_a_start_offered_to_the_waitlist() {
    let app = spawn_app().await;
    let id = app.create_venue(&one_table()).await;
    let start = evening_text(2);
    let (zed, _) = app.register("zed@example.com").await;
    let taken = body(
        app.post(
            &format!("/venues/{id}/bookings"),
            Some(&zed),
            &json!({"start": start, "party_size": 2}),
        )
        .await,
    )
    .await;
    let (dan, _) = app.register("dan@example.com").await;
    let (_, entry) = join(&app, &id, &dan, &start).await;
    let mut racers = Vec::new();
    for i in 0..50 {
        racers.push(app.register(&format!("racer{i}@example.com")).await.0);
    }
    let (cancel_path, empty) = (
        format!("/bookings/{}/cancel", taken["id"].as_str().unwrap()),
        json!({}),
    );
    let cancel = app.post(&cancel_path, Some(&zed), &empty);
    let body = json!({"start": start, "party_size": 2});
    let path = format!("/venues/{id}/bookings");
    let attempts = racers.iter().map(|t| app.post(&path, Some(t), &body));
    let (cancelled, results) = tokio::join!(cancel, futures::future::join_all(attempts));
    assert_eq!(cancelled.status().as_u16(), 200);
    let won = results
        .iter()
        .filter(|r| r.status().as_u16() == 201)
        .count();
    assert_eq!(
        won, 0,
        "the offer was made in the same change as the cancellation"
    );
    assert!(results.iter().all(|r| r.status().as_u16() == 409));
    assert_eq!(mine(&app, &dan, &entry["id"]).await["status"], "offered");
}

#[actix_rt::test]
async fn an_offer_survives_a_restart_and_lapses_on_time_after_it() {
    for kind in [EngineKind::Redb, EngineKind::Sled] {
        let opts = || booking_engine::actors::EngineOptions {
            offer_seconds: Some(3),
            ..options(2)
        };
        let t = start_engine(kind, opts());
        let mut settings = booking_engine::demo::restaurant_settings(Vec::new());
        settings.resources.truncate(1); // the table for two
        let venue = venue(&t.engine, settings).await;
        let start = evening(t.engine.now(), 2);
        let Ok(domain::Reply::Booking(b)) =
            t.engine.execute(&venue, booking("zed", start, 2)).await
        else {
            panic!("booked")
        };
        for who in ["ann", "bob"] {
            let join = domain::JoinWaitlist {
                id: EntryId::from(format!("{who}-{kind:?}").as_str()),
                caller: Caller::user(who),
                date: t
                    .engine
                    .store()
                    .load_venue(&venue)
                    .unwrap()
                    .unwrap()
                    .settings
                    .local_date(start),
                party_size: 2,
                earliest: start,
                latest: start,
                service_id: None,
                note: None,
                guest: None,
                account: Default::default(),
            };
            t.engine
                .execute(&venue, domain::Command::JoinWaitlist(Box::new(join)))
                .await
                .unwrap();
        }
        let cancel = domain::Command::Transition {
            id: b.id,
            caller: Caller::user("zed"),
            to: domain::Transition::Cancel,
        };
        t.engine.execute(&venue, cancel).await.unwrap();
        t.engine.shutdown().await;
        let dir = t.dir;
        drop(t.engine);

        let store = reopen(kind, dir.path());
        let again = booking_engine::actors::Engine::start(
            store,
            std::sync::Arc::new(booking_engine::clock::SystemClock),
            opts(),
        );
        let status = |id: &str| {
            let stored = again.store().load_venue(&venue).unwrap().unwrap();
            stored
                .entries
                .iter()
                .find(|e| e.id.as_str() == id)
                .unwrap()
                .status
        };
        let ann = format!("ann-{kind:?}");
        let bob = format!("bob-{kind:?}");
        assert_eq!(
            status(&ann),
            EntryStatus::Offered,
            "{kind:?}: the offer is stored"
        );
        // Bring the venue back; its timer lapses the offer, which goes to bob.
        assert_eq!(again.warm_up().await.unwrap(), 1);
        let mut lapsed = false;
        for _ in 0..80 {
            if status(&bob) == EntryStatus::Offered {
                lapsed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            lapsed,
            "{kind:?}: the offer lapsed on time after the restart"
        );
        assert_eq!(status(&ann), EntryStatus::Missed);
        again.shutdown().await;
    }
}
