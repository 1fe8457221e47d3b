//! Guests, channels, staff bookings, walk-ins and table moves (API v1.1
//! §3) through the real server.

use serde_json::{Value, json};

use crate::helpers::*;

struct Floor {
    app: TestApp,
    venue: String,
    staff: String,
    staff_id: String,
    other_staff: String,
}

/// Two tables of four and a bar, with a staff member and the staff of
/// another venue.
async fn floor(adjust: impl FnOnce(&mut Value)) -> Floor {
    let app = spawn_app().await;
    let mut v = restaurant(json!([
        {"id": "t1", "name": "Table 1", "capacity": 4, "mode": "exclusive"},
        {"id": "t2", "name": "Table 2", "capacity": 4, "mode": "exclusive"},
    ]));
    adjust(&mut v);
    let venue = app.create_venue(&v).await;
    let elsewhere = app
        .create_venue(&restaurant(
            json!([{"id": "b", "name": "B", "capacity": 9, "mode": "shared"}]),
        ))
        .await;
    let (staff, staff_id) = app.register("host@example.com").await;
    let (other_staff, other_id) = app.register("other-host@example.com").await;
    app.appoint(&venue, &staff_id).await;
    app.appoint(&elsewhere, &other_id).await;
    Floor {
        app,
        venue,
        staff,
        staff_id,
        other_staff,
    }
}

impl Floor {
    async fn book(&self, token: &str, body: Value) -> (u16, Value) {
        let r = self
            .app
            .post(
                &format!("/venues/{}/bookings", self.venue),
                Some(token),
                &body,
            )
            .await;
        (r.status().as_u16(), crate::helpers::body(r).await)
    }
}

#[actix_rt::test]
async fn a_customers_booking_is_for_them_unless_they_name_another_guest() {
    let f = floor(|_| {}).await;
    let (ann, ann_id) = f.app.register("ann@example.com").await;
    let r = f
        .app
        .patch(
            "/me",
            Some(&ann),
            &json!({"name": "Ann Li", "phone": "+8613900000001"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let (status, b) = f
        .book(&ann, json!({"start": evening_text(2), "party_size": 2}))
        .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(
        b["guest"],
        json!({"name": "Ann Li", "phone": "+8613900000001"})
    );
    assert_eq!(b["channel"], "online");
    assert_eq!(b["user_id"], ann_id.as_str());
    assert_eq!(b["created_by"], ann_id.as_str());

    let (status, b) = f
        .book(&ann, json!({"start": evening_text(3), "party_size": 2, "guest": {"name": "Mum", "phone": "+86 139 0000 0002"}}))
        .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(
        b["guest"],
        json!({"name": "Mum", "phone": "+8613900000002"})
    );

    // Only staff book through another channel; a bad phone names its field.
    let (status, _) = f
        .book(&ann, json!({"start": evening_text(4), "party_size": 2, "channel": "phone", "guest": {"name": "X"}}))
        .await;
    assert_eq!(status, 403);
    let (status, b) = f
        .book(
            &ann,
            json!({"start": evening_text(4), "party_size": 2, "guest": {"phone": "12"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(b["error"]["details"]["field"], "guest.phone");
    let (status, _) = f
        .book(
            &ann,
            json!({"start": evening_text(4), "party_size": 2, "channel": "fax"}),
        )
        .await;
    assert!(status == 400 || status == 422, "{status}");
    let mine = body(f.app.get("/bookings", Some(&ann)).await).await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        2,
        "the refusals booked nothing"
    );
    // A new phone on the account is the next booking's default.
    let r = f
        .app
        .patch("/me", Some(&ann), &json!({"phone": "+8613900000009"}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let (_, b) = f
        .book(&ann, json!({"start": evening_text(5), "party_size": 2}))
        .await;
    assert_eq!(b["guest"]["phone"], "+8613900000009");
}

#[actix_rt::test]
async fn staff_book_for_a_guest_without_an_account() {
    let f = floor(|_| {}).await;
    let start = evening_text(2);
    let phone_booking = json!({"start": start, "party_size": 3, "channel": "phone",
        "guest": {"name": "Mr Wang", "phone": "+8613800138000"}, "note": "called at 10"});
    let (status, b) = f.book(&f.other_staff, phone_booking.clone()).await;
    assert_eq!(status, 403, "staff of another venue: {b}");
    let (status, b) = f
        .book(
            &f.staff,
            json!({"start": start, "party_size": 3, "channel": "phone"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(b["error"]["details"]["field"], "guest.name");
    let (status, b) = f.book(&f.staff, phone_booking).await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["user_id"], Value::Null);
    assert_eq!(b["created_by"], f.staff_id.as_str());
    assert_eq!(b["channel"], "phone");
    assert_eq!(b["guest"]["phone"], "+8613800138000");
    let id = b["id"].as_str().unwrap().to_string();

    // The admin may too; nobody's list shows a guest booking.
    let (status, _) = f
        .book(&f.app.admin, json!({"start": evening_text(3), "party_size": 2, "channel": "staff", "guest": {"name": "VIP"}}))
        .await;
    assert_eq!(status, 201);
    let staff_own = body(f.app.get("/bookings", Some(&f.staff)).await).await;
    assert_eq!(staff_own["items"], json!([]));

    // Staff see it in the day sheet and run it; a customer gets 404.
    let sheet = body(
        f.app
            .get(
                &format!("/venues/{}/bookings?date={}", f.venue, &start[..10]),
                Some(&f.staff),
            )
            .await,
    )
    .await;
    assert_eq!(sheet["items"][0]["guest"]["name"], "Mr Wang");
    let (cat, _) = f.app.register("cat@example.com").await;
    assert_eq!(
        f.app
            .get(&format!("/bookings/{id}"), Some(&cat))
            .await
            .status()
            .as_u16(),
        404
    );
    let r = f
        .app
        .post(&format!("/bookings/{id}/cancel"), Some(&cat), &json!({}))
        .await;
    assert_eq!(r.status().as_u16(), 404);
    let r = f
        .app
        .post(
            &format!("/bookings/{id}/cancel"),
            Some(&f.staff),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);

    // The phone is in no availability answer.
    let a = f
        .app
        .get(
            &format!(
                "/venues/{}/availability?date={}&party_size=2",
                f.venue,
                &start[..10]
            ),
            None,
        )
        .await;
    assert!(!a.text().await.unwrap().contains("13800138000"));
}

#[actix_rt::test]
async fn a_walk_in_without_a_start_is_seated_now_and_a_closed_venue_refuses_it() {
    // Open all day, 15-minute bookings: "now" is always on the grid; a
    // minimum notice, which walk-ins do not wait for.
    let f = floor(|v| {
        let day = json!([["00:00", "24:00"]]);
        v["opening_hours"] = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
        v["booking_minutes"] = json!(15);
        v["min_notice_minutes"] = json!(120);
    })
    .await;
    let walk_in = json!({"party_size": 2, "channel": "walk_in", "guest": {"name": "Walk-in"}});
    let before = jiff::Timestamp::now();
    let (status, b) = f.book(&f.staff, walk_in.clone()).await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["status"], "seated");
    assert_eq!(b["channel"], "walk_in");
    let b_id = b["id"].as_str().unwrap().to_string();
    let start: jiff::Timestamp = b["start"].as_str().unwrap().parse().unwrap();
    let end: jiff::Timestamp = b["end"].as_str().unwrap().parse().unwrap();
    assert!(
        start <= jiff::Timestamp::now() && start > before - jiff::SignedDuration::from_mins(15),
        "{b}"
    );
    assert_eq!(start.as_second() % (15 * 60), 0, "on the grid: {b}");
    assert_eq!(end.as_second() - start.as_second(), 15 * 60, "{b}");

    // A start is needed for any other channel, and from customers.
    let (status, b) = f
        .book(
            &f.staff,
            json!({"party_size": 2, "channel": "phone", "guest": {"name": "X"}}),
        )
        .await;
    assert_eq!(
        (status, b["error"]["details"]["field"].clone()),
        (422, json!("start"))
    );
    let (ann, _) = f.app.register("ann@example.com").await;
    let (status, _) = f
        .book(&ann, json!({"party_size": 2, "channel": "walk_in"}))
        .await;
    assert_eq!(status, 403);

    // Closed today (the seated party has left, so nothing is stranded):
    // 422 naming start.
    let id = b_id.clone();
    let r = f
        .app
        .post(
            &format!("/bookings/{id}/complete"),
            Some(&f.staff),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date().to_string();
    let r = f
        .app
        .patch(
            &format!("/venues/{}", f.venue),
            Some(&f.app.admin),
            &json!({"closures": [today]}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let (status, b) = f.book(&f.staff, walk_in).await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(b["error"]["details"]["field"], "start");
}

#[actix_rt::test]
async fn staff_move_a_party_to_another_table_atomically() {
    let f = floor(|_| {}).await;
    let (ann, _) = f.app.register("ann@example.com").await;
    let start = evening_text(2);
    let (_, first) = f.book(&ann, json!({"start": start, "party_size": 2})).await;
    let id = first["id"].as_str().unwrap().to_string();
    let on = first["resource_id"].as_str().unwrap().to_string();
    let other = if on == "t1" { "t2" } else { "t1" };
    let path = format!("/bookings/{id}");

    let r = f
        .app
        .patch(&path, Some(&ann), &json!({"resource_id": other}))
        .await;
    assert_eq!(
        r.status().as_u16(),
        403,
        "a customer may not choose the table"
    );
    let r = f
        .app
        .patch(&path, Some(&f.staff), &json!({"resource_id": "t9"}))
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(body(r).await["error"]["details"]["field"], "resource_id");
    let r = f
        .app
        .patch(&path, Some(&f.staff), &json!({"resource_id": other}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let moved = body(r).await;
    assert_eq!(moved["resource_id"], other);
    assert_eq!(moved["version"], 2);

    // The table it left is free; the one it took is not.
    let (_, second) = f.book(&ann, json!({"start": start, "party_size": 2})).await;
    assert_eq!(second["resource_id"], on.as_str());
    let r = f
        .app
        .patch(&path, Some(&f.staff), &json!({"resource_id": on}))
        .await;
    assert_eq!(r.status().as_u16(), 409, "taken: nothing changes");
    let unchanged = body(f.app.get(&path, Some(&f.staff)).await).await;
    assert_eq!(unchanged["resource_id"], other);
    assert_eq!(unchanged["version"], 2);

    // Moved together with a new start, atomically.
    let later = start.replace("T18:00", "T20:00");
    let r = f
        .app
        .patch(
            &path,
            Some(&f.staff),
            &json!({"resource_id": on, "start": later}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let both = body(r).await;
    assert_eq!(
        (both["resource_id"].as_str(), both["start"].as_str()),
        (Some(on.as_str()), Some(later.as_str()))
    );

    // A reschedule keeps its table while it fits there, though the
    // allocator would pick the other one first.
    let (_, c) = f
        .book(&ann, json!({"start": evening_text(5), "party_size": 2}))
        .await;
    let c_path = format!("/bookings/{}", c["id"].as_str().unwrap());
    let c_on = c["resource_id"].as_str().unwrap().to_string();
    let c_other = if c_on == "t1" { "t2" } else { "t1" };
    let r = f
        .app
        .patch(&c_path, Some(&f.staff), &json!({"resource_id": c_other}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let later = evening_text(5).replace("T18:00", "T18:15");
    let r = f
        .app
        .patch(&c_path, Some(&ann), &json!({"start": later}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await["resource_id"], c_other);
}

#[actix_rt::test]
async fn a_seated_party_may_change_tables_but_not_its_time() {
    let f = floor(|v| {
        let day = json!([["00:00", "24:00"]]);
        v["opening_hours"] = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
        v["booking_minutes"] = json!(15);
    })
    .await;
    let (status, b) = f
        .book(
            &f.staff,
            json!({"party_size": 2, "channel": "walk_in", "guest": {"name": "W"}}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let path = format!("/bookings/{}", b["id"].as_str().unwrap());
    let other = if b["resource_id"] == "t1" { "t2" } else { "t1" };
    let r = f
        .app
        .patch(&path, Some(&f.staff), &json!({"resource_id": other}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await["resource_id"], other);
    let r = f
        .app
        .patch(&path, Some(&f.staff), &json!({"party_size": 3}))
        .await;
    assert_eq!(r.status().as_u16(), 409);
}

#[actix_rt::test]
async fn a_guests_phone_reaches_no_availability_push() {
    let f = floor(|_| {}).await;
    let start = evening_text(2);
    let mut socket = crate::ws::connect(&f.app, None).await;
    let topic = format!("venue:{}:availability", f.venue);
    socket
        .subscribe(
            json!({"type": "subscribe", "topic": topic, "date": &start[..10], "party_size": 2}),
        )
        .await;
    // Both tables taken: the start is gone for two, which is pushed.
    for n in 0..2 {
        let guest = json!({"name": format!("P{n}"), "phone": format!("+861370000000{n}")});
        let (status, _) = f
            .book(
                &f.staff,
                json!({"start": start, "party_size": 2, "channel": "phone", "guest": guest}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let frame = socket.next().await;
    assert_eq!(frame["type"], "availability", "{frame}");
    assert!(!frame.to_string().contains("137000000"), "{frame}");
}

#[actix_rt::test]
async fn the_guest_list_counts_each_guests_history_and_finds_them_by_name_or_phone() {
    let f = floor(|_| {}).await;
    let (ann, ann_id) = f.app.register("ann@example.com").await;
    f.app
        .patch("/me", Some(&ann), &json!({"name": "Ann Li"}))
        .await;
    let run = |id: String, steps: &'static [&'static str]| {
        let app = &f.app;
        let staff = f.staff.clone();
        async move {
            for step in steps {
                let r = app
                    .post(&format!("/bookings/{id}/{step}"), Some(&staff), &json!({}))
                    .await;
                assert_eq!(r.status().as_u16(), 200, "{step}");
            }
        }
    };
    // Ann: a visit, a no-show, a cancellation, one ahead.
    let mut ids = Vec::new();
    for day in 2..6 {
        let (_, b) = f
            .book(&ann, json!({"start": evening_text(day), "party_size": 2}))
            .await;
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    run(ids[0].clone(), &["seat", "complete"]).await;
    run(ids[1].clone(), &["no-show"]).await;
    run(ids[2].clone(), &["cancel"]).await;
    // Mr Wang by phone, twice: a visit and one ahead.
    let wang = json!({"name": "Mr Wang", "phone": "+8613800138000"});
    let mut wang_ids = Vec::new();
    for day in [2, 7] {
        let (status, b) = f
            .book(&f.staff, json!({"start": evening_text(day).replace("T18", "T20"), "party_size": 2, "channel": "phone", "guest": wang}))
            .await;
        assert_eq!(status, 201, "{b}");
        wang_ids.push(b["id"].as_str().unwrap().to_string());
    }
    run(wang_ids[0].clone(), &["seat", "complete"]).await;

    let path = format!("/venues/{}/guests", f.venue);
    let list = body(f.app.get(&path, Some(&f.staff)).await).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let ann_row = items
        .iter()
        .find(|g| g["user_id"] == ann_id.as_str())
        .unwrap();
    assert_eq!(
        (
            ann_row["visits"].as_u64(),
            ann_row["no_shows"].as_u64(),
            ann_row["cancellations"].as_u64(),
            ann_row["upcoming"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1)),
        "{ann_row}"
    );
    assert_eq!(ann_row["name"], "Ann Li");
    let wang_row = items.iter().find(|g| g["name"] == "Mr Wang").unwrap();
    assert_eq!(
        (wang_row["visits"].as_u64(), wang_row["upcoming"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(wang_row["user_id"], Value::Null);
    assert!(wang_row["last_visit"].is_string());

    for (q, who) in [
        ("wang", "Mr Wang"),
        ("138%200013", "Mr Wang"),
        ("ANN", "Ann Li"),
    ] {
        let found = body(f.app.get(&format!("{path}?q={q}"), Some(&f.staff)).await).await;
        let names: Vec<_> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].clone())
            .collect();
        assert_eq!(names, [json!(who)], "{q}");
    }

    // One guest with their bookings here, newest first.
    let one = body(
        f.app
            .get(
                &format!("{path}/{}", wang_row["id"].as_str().unwrap()),
                Some(&f.staff),
            )
            .await,
    )
    .await;
    assert_eq!(one["bookings"].as_array().unwrap().len(), 2, "{one}");
    assert_eq!(one["bookings"][0]["id"], wang_ids[1].as_str());
    let r = f.app.get(&format!("{path}/p.000"), Some(&f.staff)).await;
    assert_eq!(r.status().as_u16(), 404);
    for token in [&ann, &f.other_staff] {
        assert_eq!(f.app.get(&path, Some(token)).await.status().as_u16(), 403);
    }

    // The day sheet shows each booking's guest history.
    let date = &evening_text(7)[..10];
    let sheet = body(
        f.app
            .get(
                &format!("/venues/{}/bookings?date={date}", f.venue),
                Some(&f.staff),
            )
            .await,
    )
    .await;
    let history = &sheet["items"][0]["guest"]["history"];
    assert_eq!(
        (history["visits"].as_u64(), history["upcoming"].as_u64()),
        (Some(1), Some(1)),
        "{sheet}"
    );
}
