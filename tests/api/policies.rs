//! A venue's customer policies (API v1.1 §4): the cancel cut-off and the
//! active-booking limit, through the real server.

use serde_json::{Value, json};

use crate::helpers::*;

async fn venue_with(app: &TestApp, settings: Value) -> String {
    let mut v = restaurant(json!([{"id": "bar", "name": "Bar", "capacity": 50, "mode": "shared"}]));
    for (k, val) in settings.as_object().unwrap() {
        v[k] = val.clone();
    }
    app.create_venue(&v).await
}

#[actix_rt::test]
async fn policy_settings_are_validated_shown_and_patched() {
    let app = spawn_app().await;
    let id = venue_with(
        &app,
        json!({"cancel_cutoff_minutes": 90, "max_active_bookings_per_customer": 2}),
    )
    .await;
    let v = body(app.get(&format!("/venues/{id}"), None).await).await;
    assert_eq!(
        (
            v["cancel_cutoff_minutes"].as_u64(),
            v["max_active_bookings_per_customer"].as_u64()
        ),
        (Some(90), Some(2))
    );
    for (patch, field) in [
        (
            json!({"cancel_cutoff_minutes": 600_000}),
            "cancel_cutoff_minutes",
        ),
        (
            json!({"max_active_bookings_per_customer": 1001}),
            "max_active_bookings_per_customer",
        ),
    ] {
        let r = app
            .patch(&format!("/venues/{id}"), Some(&app.admin), &patch)
            .await;
        assert_eq!(r.status().as_u16(), 422, "{patch}");
        assert_eq!(body(r).await["error"]["details"]["field"], field);
    }
    let r = app
        .patch(
            &format!("/venues/{id}"),
            Some(&app.admin),
            &json!({"cancel_cutoff_minutes": 0}),
        )
        .await;
    assert_eq!(body(r).await["cancel_cutoff_minutes"], 0);
    let fresh = venue_with(&app, json!({})).await;
    let v = body(app.get(&format!("/venues/{fresh}"), None).await).await;
    assert_eq!(
        (
            v["cancel_cutoff_minutes"].as_u64(),
            v["max_active_bookings_per_customer"].as_u64()
        ),
        (Some(0), Some(0)),
        "absent: no cut-off, no limit"
    );
}

#[actix_rt::test]
async fn inside_the_cutoff_a_customer_may_not_cancel_or_move_but_staff_may() {
    let app = spawn_app().await;
    // Three days: a booking two days ahead is inside it, ten days ahead is not.
    let id = venue_with(&app, json!({"cancel_cutoff_minutes": 3 * 24 * 60})).await;
    let (ann, _) = app.register("ann@example.com").await;
    let book = |days: i64| {
        let (app, ann, id) = (&app, ann.clone(), id.clone());
        async move {
            let r = app
                .post(
                    &format!("/venues/{id}/bookings"),
                    Some(&ann),
                    &json!({"start": evening_text(days), "party_size": 2}),
                )
                .await;
            assert_eq!(r.status().as_u16(), 201);
            body(r).await["id"].as_str().unwrap().to_string()
        }
    };
    let soon = book(2).await;
    let r = app
        .post(&format!("/bookings/{soon}/cancel"), Some(&ann), &json!({}))
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(body(r).await["error"]["details"]["reason"], "cutoff");
    let r = app
        .patch(
            &format!("/bookings/{soon}"),
            Some(&ann),
            &json!({"party_size": 3}),
        )
        .await;
    assert_eq!(body(r).await["error"]["details"]["reason"], "cutoff");
    let r = app
        .patch(
            &format!("/bookings/{soon}"),
            Some(&ann),
            &json!({"note": "we may be late"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200, "a note is not a move");
    let r = app
        .post(
            &format!("/bookings/{soon}/cancel"),
            Some(&app.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200, "staff are exempt");
    let later = book(10).await;
    let r = app
        .post(&format!("/bookings/{later}/cancel"), Some(&ann), &json!({}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
}

#[actix_rt::test]
async fn a_customer_at_the_active_limit_gets_409_until_one_is_cancelled() {
    let app = spawn_app().await;
    let id = venue_with(&app, json!({"max_active_bookings_per_customer": 2})).await;
    let (ann, _) = app.register("ann@example.com").await;
    let path = format!("/venues/{id}/bookings");
    let mut ids = Vec::new();
    for days in [2, 3] {
        let r = app
            .post(
                &path,
                Some(&ann),
                &json!({"start": evening_text(days), "party_size": 2}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        ids.push(body(r).await["id"].as_str().unwrap().to_string());
    }
    let r = app
        .post(
            &path,
            Some(&ann),
            &json!({"start": evening_text(4), "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(body(r).await["error"]["details"]["reason"], "limit");
    // Converting a hold counts as booking.
    let r = app
        .post(
            &format!("/venues/{id}/holds"),
            Some(&ann),
            &json!({"start": evening_text(4), "party_size": 2}),
        )
        .await;
    let hold = body(r).await["id"].as_str().unwrap().to_string();
    let r = app.post(&path, Some(&ann), &json!({"hold_id": hold})).await;
    assert_eq!(body(r).await["error"]["details"]["reason"], "limit");
    // Others and staff are not limited by Ann's bookings.
    let (bob, _) = app.register("bob@example.com").await;
    let r = app
        .post(
            &path,
            Some(&bob),
            &json!({"start": evening_text(4), "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let r = app
        .post(
            &format!("/bookings/{}/cancel", ids[0]),
            Some(&ann),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app.post(&path, Some(&ann), &json!({"hold_id": hold})).await;
    assert_eq!(r.status().as_u16(), 201, "room again after a cancel");
}
