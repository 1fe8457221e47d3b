//! The personal schedule and the calendar feed (API v1.1 §6) through the
//! real server; the feed is read back with a real iCalendar parser.

use icalendar::{Calendar, CalendarComponent, Component};
use serde_json::{Value, json};

use crate::friends::friends;
use crate::helpers::*;

fn window() -> String {
    let now = jiff::Timestamp::now();
    let from = now - jiff::SignedDuration::from_hours(24);
    let to = now + jiff::SignedDuration::from_hours(24 * 30);
    format!(
        "from={}&to={}",
        from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        to.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// The feed parsed: (UID, STATUS, SUMMARY, SEQUENCE) per event.
async fn feed(app: &TestApp, url: &str) -> (u16, Vec<(String, String, String, String)>, String) {
    let r = app
        .request(
            reqwest::Method::GET,
            &format!("{}{url}", app.root()),
            None,
            None,
        )
        .await;
    let status = r.status().as_u16();
    if status != 200 {
        return (status, Vec::new(), String::new());
    }
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("private")
    );
    let text = r.text().await.unwrap();
    let cal: Calendar = text.parse().expect("the feed parses as iCalendar");
    let events = cal
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.get_uid().unwrap().to_string(),
                e.property_value("STATUS").unwrap_or_default().to_string(),
                e.get_summary().unwrap_or_default().to_string(),
                e.property_value("SEQUENCE").unwrap_or_default().to_string(),
            )),
            _ => None,
        })
        .collect();
    (status, events, text)
}

#[actix_rt::test]
async fn the_schedule_merges_bookings_shared_bookings_and_personal_items() {
    let app = spawn_app().await;
    let mut v = restaurant(json!([{"id": "t4", "name": "T4", "capacity": 4, "mode": "exclusive"}]));
    v["address"] = json!("88 Nanjing Road, Shanghai");
    let venue = app.create_venue(&v).await;
    let ((ann, _), (bob, bob_id)) = friends(&app, "ann", "bob").await;
    let start = evening_text(2);
    let booked = body(
        app.post(
            &format!("/venues/{venue}/bookings"),
            Some(&ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await,
    )
    .await;
    let id = booked["id"].as_str().unwrap();
    app.post(
        &format!("/bookings/{id}/invitations"),
        Some(&ann),
        &json!({"user_id": bob_id}),
    )
    .await;
    app.post(
        &format!("/bookings/{id}/invitations/accept"),
        Some(&bob),
        &json!({}),
    )
    .await;

    // A personal item, private to Bob, changed once.
    let item_start = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24))
        .strftime("%Y-%m-%dT%H:00:00Z")
        .to_string();
    let item_end = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(25))
        .strftime("%Y-%m-%dT%H:00:00Z")
        .to_string();
    let r = app
        .post(
            "/me/schedule",
            Some(&bob),
            &json!({"title": "Dentist", "start": item_start, "end": item_end}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let item = body(r).await;
    assert_eq!(item["version"], 1);
    let item_id = item["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/me/schedule/{item_id}"),
            Some(&bob),
            &json!({"title": "Dentist, Dr Li"}),
        )
        .await;
    assert_eq!(body(r).await["version"], 2);
    assert_eq!(
        app.patch(
            &format!("/me/schedule/{item_id}"),
            Some(&ann),
            &json!({"title": "x"})
        )
        .await
        .status()
        .as_u16(),
        404
    );
    let r = app
        .post(
            "/me/schedule",
            Some(&bob),
            &json!({"title": "Bad", "start": item_end, "end": item_start}),
        )
        .await;
    assert_eq!(
        (
            r.status().as_u16(),
            body(r).await["error"]["details"]["field"].clone()
        ),
        (422, json!("end"))
    );

    let mine = body(
        app.get(&format!("/me/schedule?{}", window()), Some(&bob))
            .await,
    )
    .await;
    let kinds: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["personal", "shared"],
        "by start: the item tomorrow, the booking after"
    );
    assert_eq!(mine["items"][1]["booking"]["guest"]["phone"], Value::Null);
    let anns = body(
        app.get(&format!("/me/schedule?{}", window()), Some(&ann))
            .await,
    )
    .await;
    assert_eq!(
        anns["items"].as_array().unwrap().len(),
        1,
        "Bob's item is his alone"
    );
    assert_eq!(anns["items"][0]["kind"], "booking");
    // The window is required and bounded.
    assert_eq!(
        app.get("/me/schedule", Some(&ann)).await.status().as_u16(),
        422
    );
    let far = "from=2027-01-01T00:00:00Z&to=2027-06-01T00:00:00Z";
    let r = app.get(&format!("/me/schedule?{far}"), Some(&ann)).await;
    assert_eq!(
        (
            r.status().as_u16(),
            body(r).await["error"]["details"]["field"].clone()
        ),
        (422, json!("to"))
    );
    // A cancelled booking leaves the schedule.
    let r = app
        .delete(&format!("/me/schedule/{item_id}"), Some(&bob))
        .await;
    assert_eq!(r.status().as_u16(), 204);
    app.post(&format!("/bookings/{id}/cancel"), Some(&ann), &json!({}))
        .await;
    let anns = body(
        app.get(&format!("/me/schedule?{}", window()), Some(&ann))
            .await,
    )
    .await;
    assert_eq!(anns["items"], json!([]));
}

#[actix_rt::test]
async fn the_calendar_feed_is_secret_revocable_and_parses() {
    let app = spawn_app().await;
    let mut v = restaurant(json!([{"id": "t4", "name": "T4", "capacity": 4, "mode": "exclusive"}]));
    v["name"] = json!("Lotus Garden, the long-named branch by the river with a view of the Bund");
    v["address"] = json!("88 Nanjing Road; Shanghai");
    let venue = app.create_venue(&v).await;
    let (ann, _) = app.register("ann@example.com").await;
    let mut ids = Vec::new();
    for days in [2, 3] {
        let b = body(
            app.post(
                &format!("/venues/{venue}/bookings"),
                Some(&ann),
                &json!({"start": evening_text(days), "party_size": 2}),
            )
            .await,
        )
        .await;
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    app.post(
        &format!("/bookings/{}/cancel", ids[1]),
        Some(&ann),
        &json!({}),
    )
    .await;

    let r = app.post("/me/calendar-feed", Some(&ann), &json!({})).await;
    assert_eq!(r.status().as_u16(), 201);
    let url = body(r).await["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("/api/v1/calendar/") && url.ends_with(".ics"),
        "{url}"
    );
    let token = url
        .trim_start_matches("/api/v1/calendar/")
        .trim_end_matches(".ics");
    assert!(token.len() >= 22, "at least 128 bits");

    let (status, events, text) = feed(&app, &url).await;
    assert_eq!(status, 200);
    assert_eq!(events.len(), 2);
    let by_uid = |id: &str| events.iter().find(|e| e.0.contains(id)).unwrap().clone();
    assert_eq!(by_uid(&ids[0]).1, "CONFIRMED");
    assert_eq!(by_uid(&ids[1]).1, "CANCELLED");
    assert_eq!(by_uid(&ids[1]).3, "2", "SEQUENCE is the booking's version");
    assert!(by_uid(&ids[0]).2.contains("party of 2"));
    assert!(
        text.lines().all(|l| l.trim_end_matches('\r').len() <= 75),
        "lines are folded"
    );
    assert!(text.contains("\r\n "), "the long summary was folded");
    // UIDs are stable across calls.
    let (_, again, _) = feed(&app, &url).await;
    let uids = |e: &[(String, String, String, String)]| {
        let mut u: Vec<String> = e.iter().map(|x| x.0.clone()).collect();
        u.sort();
        u
    };
    assert_eq!(uids(&again), uids(&events));

    // A new URL revokes the old; DELETE revokes the new.
    let r = app.post("/me/calendar-feed", Some(&ann), &json!({})).await;
    let second = body(r).await["url"].as_str().unwrap().to_string();
    assert_eq!(feed(&app, &url).await.0, 404);
    assert_eq!(feed(&app, &second).await.0, 200);
    assert_eq!(
        app.delete("/me/calendar-feed", Some(&ann))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(feed(&app, &second).await.0, 404);
    assert_eq!(feed(&app, "/api/v1/calendar/guess.ics").await.0, 404);
}
