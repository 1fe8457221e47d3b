//! The floor (API v1.1 §4) through the real server: buffers, pacing, table
//! combinations and services, each with its validation and a booking flow.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::ws::connect;

/// Posts a booking; answers the status and the body.
async fn book(app: &TestApp, venue: &str, token: &str, body: Value) -> (u16, Value) {
    let r = app
        .post(&format!("/venues/{venue}/bookings"), Some(token), &body)
        .await;
    (r.status().as_u16(), self::body(r).await)
}

/// A PATCH of the venue by the admin that must be refused naming `field`.
async fn refused(app: &TestApp, venue: &str, patch: Value, field: &str) {
    let r = app
        .patch(&format!("/venues/{venue}"), Some(&app.admin), &patch)
        .await;
    assert_eq!(r.status().as_u16(), 422, "{patch}");
    assert_eq!(body(r).await["error"]["details"]["field"], field, "{patch}");
}

/// The starts of a day's availability, with their `max_party`.
async fn slots(app: &TestApp, venue: &str, query: &str) -> Vec<(String, u64, bool)> {
    let a = body(
        app.get(&format!("/venues/{venue}/availability?{query}"), None)
            .await,
    )
    .await;
    a["slots"]
        .as_array()
        .unwrap_or_else(|| panic!("{a}"))
        .iter()
        .map(|s| {
            (
                s["start"].as_str().unwrap().to_string(),
                s["max_party"].as_u64().unwrap(),
                s["available"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[actix_rt::test]
async fn a_buffer_keeps_the_table_after_each_booking() {
    let app = spawn_app().await;
    let mut v = restaurant(json!([{"id": "t1", "name": "T1", "capacity": 2, "mode": "exclusive"}]));
    v["buffer_minutes"] = json!(30);
    let id = app.create_venue(&v).await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2);
    let (status, first) = book(&app, &id, &ann, json!({"start": start, "party_size": 2})).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        first["end"],
        start.replace("T18:00", "T19:30"),
        "the buffer is not part of the end"
    );
    let (status, taken) = book(
        &app,
        &id,
        &ann,
        json!({"start": start.replace("T18:00", "T19:30"), "party_size": 2}),
    )
    .await;
    assert_eq!(
        (status, taken["error"]["code"].as_str()),
        (409, Some("slot_unavailable"))
    );
    let (status, _) = book(
        &app,
        &id,
        &ann,
        json!({"start": start.replace("T18:00", "T20:00"), "party_size": 2}),
    )
    .await;
    assert_eq!(status, 201);
    // 20:30 + 90 minutes meets the close: its buffer would not fit.
    let date = &start[..10];
    let grid = slots(&app, &id, &format!("date={date}&party_size=2")).await;
    assert_eq!(grid.last().unwrap().0, start.replace("T18:00", "T20:00"));
    for bad in [json!(10), json!(255)] {
        refused(&app, &id, json!({"buffer_minutes": bad}), "buffer_minutes").await;
    }
    let venue = body(app.get(&format!("/venues/{id}"), None).await).await;
    assert_eq!(venue["buffer_minutes"], 30);
}

#[actix_rt::test]
async fn pacing_limits_arrivals_and_staff_may_book_past_it() {
    let app = spawn_app().await;
    let mut v = restaurant(json!([
        {"id": "t1", "name": "T1", "capacity": 4, "mode": "exclusive"},
        {"id": "t2", "name": "T2", "capacity": 4, "mode": "exclusive"},
        {"id": "t3", "name": "T3", "capacity": 4, "mode": "exclusive"},
    ]));
    v["pacing"] = json!({"minutes": 15, "max_covers": 4});
    let id = app.create_venue(&v).await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2);
    let at = |hhmm: &str| start.replace("T18:00", &format!("T{hhmm}"));
    assert_eq!(
        book(
            &app,
            &id,
            &ann,
            json!({"start": at("18:00"), "party_size": 4})
        )
        .await
        .0,
        201
    );
    let (status, full) = book(
        &app,
        &id,
        &ann,
        json!({"start": at("18:00"), "party_size": 2}),
    )
    .await;
    assert_eq!(
        (status, full["error"]["code"].as_str()),
        (409, Some("slot_unavailable"))
    );
    let (status, _) = book(
        &app,
        &id,
        &ann,
        json!({"start": at("18:00"), "party_size": 2, "override_pacing": true}),
    )
    .await;
    assert_eq!(status, 403, "customers may not override pacing");
    let (status, staff_booked) = book(
        &app,
        &id,
        &app.admin,
        json!({"start": at("18:00"), "party_size": 2, "override_pacing": true,
               "channel": "phone", "guest": {"name": "Wu"}}),
    )
    .await;
    assert_eq!(status, 201, "{staff_booked}");
    // The next interval is free; a party above the covers never is.
    let (status, later) = book(
        &app,
        &id,
        &ann,
        json!({"start": at("18:15"), "party_size": 4}),
    )
    .await;
    assert_eq!(status, 201);
    // No way around it: not by moving a booking into the full interval,
    // nor by holding there first.
    let moved = app
        .patch(
            &format!("/bookings/{}", later["id"].as_str().unwrap()),
            Some(&ann),
            &json!({"start": at("18:00")}),
        )
        .await;
    assert_eq!(moved.status().as_u16(), 409);
    let forced = app
        .patch(
            &format!("/bookings/{}", later["id"].as_str().unwrap()),
            Some(&ann),
            &json!({"start": at("18:00"), "override_pacing": true}),
        )
        .await;
    assert_eq!(forced.status().as_u16(), 403);
    let held = app
        .post(
            &format!("/venues/{id}/holds"),
            Some(&ann),
            &json!({"start": at("18:00"), "party_size": 1}),
        )
        .await;
    assert_eq!(held.status().as_u16(), 409);
    let (status, big) = book(
        &app,
        &id,
        &ann,
        json!({"start": at("19:00"), "party_size": 5}),
    )
    .await;
    assert_eq!(
        (status, big["error"]["details"]["field"].as_str()),
        (422, Some("party_size"))
    );
    let date = &start[..10];
    let grid = slots(&app, &id, &format!("date={date}&party_size=2")).await;
    let max = |t: String| grid.iter().find(|s| s.0 == t).unwrap().1;
    assert_eq!(max(at("18:00")), 0);
    assert_eq!(max(at("19:30")), 4, "t1 is free again");

    refused(
        &app,
        &id,
        json!({"pacing": {"minutes": 20, "max_covers": 4}}),
        "pacing.minutes",
    )
    .await;
    refused(
        &app,
        &id,
        json!({"pacing": {"minutes": 15, "max_covers": 0}}),
        "pacing.max_covers",
    )
    .await;
    let r = app
        .patch(
            &format!("/venues/{id}"),
            Some(&app.admin),
            &json!({"pacing": null}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await["pacing"], Value::Null, "null clears pacing");
}

#[actix_rt::test]
async fn a_combination_books_its_tables_together() {
    let app = spawn_app().await;
    let mut v = restaurant(json!([
        {"id": "t1", "name": "T1", "capacity": 4, "mode": "exclusive"},
        {"id": "t2", "name": "T2", "capacity": 4, "mode": "exclusive"},
    ]));
    v["combinations"] = json!([{"id": "t1+t2", "resources": ["t1", "t2"], "min_party": 5}]);
    let id = app.create_venue(&v).await;
    let venue = body(app.get(&format!("/venues/{id}"), None).await).await;
    assert_eq!(
        venue["combinations"],
        json!([{"id": "t1+t2", "resources": ["t1", "t2"], "min_party": 5, "capacity": 8}]),
        "capacity defaults to the members' sum"
    );
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2);
    let date = &start[..10];
    let grid = slots(&app, &id, &format!("date={date}&party_size=7")).await;
    assert!(
        grid.iter().all(|s| s.1 == 8 && s.2),
        "max_party counts combinations"
    );
    let (status, seven) = book(&app, &id, &ann, json!({"start": start, "party_size": 7})).await;
    assert_eq!(status, 201, "{seven}");
    assert_eq!(seven["resource_id"], "t1+t2");
    let (status, _) = book(&app, &id, &ann, json!({"start": start, "party_size": 2})).await;
    assert_eq!(status, 409, "both members are taken");

    refused(
        &app,
        &id,
        json!({"combinations": [{"id": "t1", "resources": ["t1", "t2"]}]}),
        "combinations[0].id",
    )
    .await;
    refused(
        &app,
        &id,
        json!({"combinations": [{"id": "a+b", "resources": ["t1", "t9"]}]}),
        "combinations[0].resources",
    )
    .await;
    refused(
        &app,
        &id,
        json!({"combinations": [{"id": "a+b", "resources": ["t1", "t2"], "capacity": 0}]}),
        "combinations[0].capacity",
    )
    .await;
    // Removing the combination its booking stands on strands it.
    let r = app
        .patch(
            &format!("/venues/{id}"),
            Some(&app.admin),
            &json!({"combinations": []}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    let refusal = body(r).await;
    assert_eq!(
        refusal["error"]["details"]["bookings"],
        json!([seven["id"]]),
        "{refusal}"
    );
}

/// A clinic open 09:00-12:00 with two doctors and two services.
fn clinic() -> Value {
    let day = json!([["09:00", "12:00"]]);
    json!({
        "name": "Clinic", "kind": "calendar", "timezone": "Asia/Shanghai",
        "slot_minutes": 15, "booking_minutes": 30,
        "opening_hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day},
        "resources": [
            {"id": "dr_li", "name": "Dr Li", "capacity": 1, "mode": "exclusive"},
            {"id": "dr_wu", "name": "Dr Wu", "capacity": 1, "mode": "exclusive"},
        ],
        "services": [
            {"id": "consult", "name": "Consultation", "minutes": 30, "resources": ["dr_li"]},
            {"id": "checkup", "name": "Check-up", "minutes": 15},
        ],
    })
}

#[actix_rt::test]
async fn services_set_the_length_and_who_serves_them() {
    let app = spawn_app().await;
    let id = app.create_venue(&clinic()).await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2).replace("T18:00", "T09:00");
    let date = &start[..10];

    let r = app
        .post(
            &format!("/venues/{id}/holds"),
            Some(&ann),
            &json!({"start": start, "party_size": 1}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(body(r).await["error"]["details"]["field"], "service_id");
    let (status, unknown) = book(
        &app,
        &id,
        &ann,
        json!({"start": start, "party_size": 1, "service_id": "massage"}),
    )
    .await;
    assert_eq!(
        (status, unknown["error"]["details"]["field"].as_str()),
        (422, Some("service_id"))
    );

    let r = app
        .post(
            &format!("/venues/{id}/holds"),
            Some(&ann),
            &json!({"start": start, "party_size": 1, "service_id": "consult"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let hold = body(r).await;
    assert_eq!(
        (hold["resource_id"].as_str(), hold["service_id"].as_str()),
        (Some("dr_li"), Some("consult"))
    );
    let (status, consult) = book(&app, &id, &ann, json!({"hold_id": hold["id"]})).await;
    assert_eq!(status, 201, "{consult}");
    assert_eq!(
        consult["service_id"], "consult",
        "the booking keeps its hold's service"
    );
    assert_eq!(consult["end"], start.replace("T09:00", "T09:30"));

    let (bob, _) = app.register("bob@example.com").await;
    let (status, _) = book(
        &app,
        &id,
        &bob,
        json!({"start": start, "party_size": 1, "service_id": "consult"}),
    )
    .await;
    assert_eq!(status, 409, "the only doctor for it is booked");
    let (status, checkup) = book(
        &app,
        &id,
        &bob,
        json!({"start": start, "party_size": 1, "service_id": "checkup"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        (checkup["resource_id"].as_str(), checkup["end"].as_str()),
        (
            Some("dr_wu"),
            Some(start.replace("T09:00", "T09:15").as_str())
        )
    );

    let r = app
        .get(
            &format!("/venues/{id}/availability?date={date}&party_size=1"),
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(body(r).await["error"]["details"]["field"], "service_id");
    let grid = slots(
        &app,
        &id,
        &format!("date={date}&party_size=1&service_id=consult"),
    )
    .await;
    assert_eq!(grid[0], (start.clone(), 0, false));
    assert!(grid[2].2, "09:30 is free for a consultation");

    // Live availability names the service too.
    let mut ws = connect(&app, None).await;
    ws.send(json!({"type": "subscribe", "topic": format!("venue:{id}:availability"), "date": date, "party_size": 1})).await;
    let err = ws.next().await;
    assert_eq!(
        (err["type"].as_str(), err["code"].as_str()),
        (Some("error"), Some("validation_failed")),
        "{err}"
    );
    ws.subscribe(
        json!({"type": "subscribe", "topic": format!("venue:{id}:availability"),
        "date": date, "party_size": 1, "service_id": "consult"}),
    )
    .await;
    let (status, _) = book(
        &app,
        &id,
        &bob,
        json!({"start": start.replace("T09:00", "T10:00"), "party_size": 1, "service_id": "consult"}),
    )
    .await;
    assert_eq!(status, 201);
    let frame = ws.next().await;
    assert_eq!(
        (frame["type"].as_str(), frame["service_id"].as_str()),
        (Some("availability"), Some("consult")),
        "{frame}"
    );

    for (patch, field) in [
        (
            json!({"services": [{"id": "x", "name": "X", "minutes": 20}]}),
            "services[0].minutes",
        ),
        (
            json!({"services": [{"id": "x", "name": "X", "minutes": 30, "resources": ["dr_who"]}]}),
            "services[0].resources",
        ),
    ] {
        refused(&app, &id, patch, field).await;
    }
}
