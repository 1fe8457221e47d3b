//! Venues, staff and availability over HTTP.

use serde_json::json;

use crate::helpers::*;

fn tables() -> serde_json::Value {
    json!([
        {"id": "t2", "name": "Table 2", "capacity": 2, "min_party": 1, "mode": "exclusive"},
        {"id": "t4", "name": "Table 4", "capacity": 4, "min_party": 2, "mode": "exclusive"},
        {"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}
    ])
}

#[actix_rt::test]
async fn an_admin_creates_a_venue_that_anyone_can_read_and_list() {
    let app = spawn_app().await;
    let r = app
        .post("/venues", Some(&app.admin), &restaurant(tables()))
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let v = body(r).await;
    assert_eq!(v["timezone"], "Asia/Shanghai");
    assert_eq!(v["seq"], 1);
    assert_eq!(
        v["opening_hours"]["mon"],
        json!([["11:00", "14:00"], ["17:00", "22:00"]])
    );
    assert_eq!(
        v["resources"][2],
        json!({"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"})
    );
    let id = v["id"].as_str().unwrap();
    let got = body(app.get(&format!("/venues/{id}"), Some(&app.admin)).await).await;
    assert_eq!(got, v);
    // Anonymous readers see everything but who works there.
    let mut public = v.clone();
    public.as_object_mut().unwrap().remove("staff");
    let got = body(app.get(&format!("/venues/{id}"), None).await).await;
    assert_eq!(got, public);
    for _ in 0..2 {
        app.create_venue(&restaurant(tables())).await;
    }
    let page = body(app.get("/venues?limit=2", None).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = body(
        app.get(&format!("/venues?limit=2&cursor={cursor}"), None)
            .await,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], json!(null));
    assert_eq!(
        app.get("/venues?limit=0", None).await.status().as_u16(),
        422
    );
    assert_eq!(app.get("/venues/nope", None).await.status().as_u16(), 404);
}

#[actix_rt::test]
async fn only_an_admin_creates_venues_and_bad_settings_name_their_field() {
    let app = spawn_app().await;
    let (customer, _) = app.register("ann@example.com").await;
    assert_eq!(
        app.post("/venues", Some(&customer), &restaurant(tables()))
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        app.post("/venues", None, &restaurant(tables()))
            .await
            .status()
            .as_u16(),
        401
    );
    let cases = [
        ("timezone", json!("Mars/Olympus")),
        ("slot_minutes", json!(7)),
        ("booking_minutes", json!(100)),
        ("horizon_days", json!(731)),
        (
            "opening_hours",
            json!({"mon": [["11:00", "14:00"], ["13:00", "15:00"]]}),
        ),
        (
            "resources",
            json!([{"id": "a", "name": "A", "capacity": 0, "mode": "exclusive"}]),
        ),
        (
            "resources",
            json!([{"id": "a", "name": "A", "capacity": 2, "mode": "exclusive"}, {"id": "a", "name": "B", "capacity": 2, "mode": "exclusive"}]),
        ),
    ];
    for (field, value) in cases {
        let mut venue = restaurant(tables());
        venue[field] = value;
        let r = app.post("/venues", Some(&app.admin), &venue).await;
        assert_eq!(r.status().as_u16(), 422, "{field}");
        let e = body(r).await;
        assert_eq!(e["error"]["code"], "validation_failed");
        assert!(
            e["error"]["details"]["field"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{e}"
        );
    }
    let mut wrong_type = restaurant(tables());
    wrong_type["slot_minutes"] = json!("fifteen");
    assert_eq!(
        app.post("/venues", Some(&app.admin), &wrong_type)
            .await
            .status()
            .as_u16(),
        400
    );
}

#[actix_rt::test]
async fn staff_rights_follow_the_current_staff_list() {
    let app = spawn_app().await;
    let id = app.create_venue(&restaurant(tables())).await;
    let (sam, sam_id) = app.register("sam@example.com").await;
    let rename = json!({"name": "Lotus Garden II"});
    assert_eq!(
        app.patch(&format!("/venues/{id}"), Some(&sam), &rename)
            .await
            .status()
            .as_u16(),
        403
    );
    let put = app
        .request(
            reqwest::Method::PUT,
            &format!("/venues/{id}/staff/{sam_id}"),
            Some(&sam),
            None,
        )
        .await;
    assert_eq!(put.status().as_u16(), 403, "only an admin adds staff");
    let put = app
        .request(
            reqwest::Method::PUT,
            &format!("/venues/{id}/staff/{sam_id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(put.status().as_u16(), 204);
    assert_eq!(
        body(app.get("/me", Some(&sam)).await).await["staff_of"],
        json!([id])
    );
    let r = app
        .patch(&format!("/venues/{id}"), Some(&sam), &rename)
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await["name"], "Lotus Garden II");
    let del = app
        .request(
            reqwest::Method::DELETE,
            &format!("/venues/{id}/staff/{sam_id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(del.status().as_u16(), 204);
    assert_eq!(
        app.patch(&format!("/venues/{id}"), Some(&sam), &rename)
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        body(app.get("/me", Some(&sam)).await).await["staff_of"],
        json!([])
    );
    let ghost = app
        .request(
            reqwest::Method::PUT,
            &format!("/venues/{id}/staff/no-such-user"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(ghost.status().as_u16(), 404);
}

#[actix_rt::test]
async fn a_change_that_strands_a_booking_is_refused_and_names_it() {
    let app = spawn_app().await;
    let id = app.create_venue(&restaurant(tables())).await;
    let (ann, _) = app.register("ann@example.com").await;
    let r = app
        .post(
            &format!("/venues/{id}/bookings"),
            Some(&ann),
            &json!({"start": evening_text(2), "party_size": 4}),
        )
        .await;
    let booking = body(r).await["id"].as_str().unwrap().to_string();
    let only_bar = json!({"resources": [{"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}, {"id": "t2", "name": "Table 2", "capacity": 2, "mode": "exclusive"}]});
    let r = app
        .patch(&format!("/venues/{id}"), Some(&app.admin), &only_bar)
        .await;
    assert_eq!(r.status().as_u16(), 409);
    let e = body(r).await;
    assert_eq!(e["error"]["code"], "conflict");
    assert_eq!(e["error"]["details"]["bookings"], json!([booking]));
}

#[actix_rt::test]
async fn availability_lists_the_grid_and_reflects_bookings() {
    let app = spawn_app().await;
    let id = app.create_venue(&restaurant(tables())).await;
    let start = evening_text(2);
    let date = &start[..10];
    let r = app
        .get(
            &format!("/venues/{id}/availability?date={date}&party_size=4"),
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let a = body(r).await;
    assert_eq!(
        (
            a["timezone"].as_str(),
            a["party_size"].as_u64(),
            a["seq"].as_u64()
        ),
        (Some("Asia/Shanghai"), Some(4), Some(1))
    );
    let slots = a["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 22);
    assert_eq!(
        slots[0],
        json!({"start": format!("{date}T11:00:00+08:00"), "max_party": 10, "available": true})
    );
    let (ann, _) = app.register("ann@example.com").await;
    app.post(
        &format!("/venues/{id}/bookings"),
        Some(&ann),
        &json!({"start": start, "party_size": 10}),
    )
    .await;
    let a = body(
        app.get(
            &format!("/venues/{id}/availability?date={date}&party_size=4"),
            None,
        )
        .await,
    )
    .await;
    let at_six = a["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"] == start.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        at_six,
        json!({"start": start, "max_party": 4, "available": true})
    );
    for bad in [
        "date=2026-13-01&party_size=2",
        "party_size=2",
        &format!("date={date}&party_size=0"),
        &format!("date={date}&party_size=1001"),
        &format!("date={date}"),
    ] {
        let r = app
            .get(&format!("/venues/{id}/availability?{bad}"), None)
            .await;
        assert_eq!(r.status().as_u16(), 422, "{bad}");
    }
    let past = body(
        app.get(
            &format!("/venues/{id}/availability?date=2020-01-01&party_size=2"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(past["slots"], json!([]));
}
