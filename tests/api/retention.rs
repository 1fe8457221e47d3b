//! Finished bookings and ended holds leave venue memory two days after
//! their end and stay readable from the store: by id (with the same
//! visibility rules), in the owner's list and filters, in day sheets.

use booking_engine::actors::messages::{GetResident, Resident};
use booking_engine::domain::VenueId;
use jiff::SignedDuration;
use serde_json::json;

use crate::helpers::*;

#[actix_rt::test]
async fn a_cancelled_booking_and_a_released_hold_leave_memory_after_two_days_and_stay_readable() {
    let clock = ManualClock::new();
    let app = spawn_app_on(tempfile::tempdir().unwrap(), |_| {}, clock.clone()).await;
    let venue = app
        .create_venue(&restaurant(json!([
            {"id": "t2", "name": "Table 2", "capacity": 2, "min_party": 1, "mode": "exclusive"},
            {"id": "t4", "name": "Table 4", "capacity": 4, "min_party": 1, "mode": "exclusive"}
        ])))
        .await;
    let vid = VenueId::from(venue.as_str());
    let (ann, _) = app.register("ann@example.com").await;
    let (bob, _) = app.register("bob@example.com").await;
    let start = evening_text(1);
    let book = |token: String, start: String| {
        let app = &app;
        let venue = venue.clone();
        async move {
            let r = app
                .post(
                    &format!("/venues/{venue}/bookings"),
                    Some(&token),
                    &json!({"start": start, "party_size": 2}),
                )
                .await;
            assert_eq!(r.status().as_u16(), 201);
            body(r).await
        }
    };
    let gone = book(ann.clone(), start.clone()).await;
    let gone_id = gone["id"].as_str().unwrap().to_string();
    let kept = book(bob.clone(), evening_text(2)).await;
    let r = app
        .post(
            &format!("/bookings/{gone_id}/cancel"),
            Some(&ann),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let cancelled = body(r).await;
    let r = app
        .post(
            &format!("/venues/{venue}/holds"),
            Some(&ann),
            &json!({"start": evening_text(3), "party_size": 2}),
        )
        .await;
    let hold = body(r).await["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.request(
            reqwest::Method::DELETE,
            &format!("/holds/{hold}"),
            Some(&ann),
            None
        )
        .await
        .status()
        .as_u16(),
        204
    );
    let resident = || async { app.engine.ask(&vid, GetResident).await.unwrap() };
    assert_eq!(
        resident().await,
        Resident {
            bookings: 2,
            holds: 1
        }
    );

    // A day after the cancelled booking's end: still in memory.
    clock.advance(SignedDuration::from_hours(48));
    let rename = || async {
        let r = app
            .patch(
                &format!("/venues/{venue}"),
                Some(&app.admin),
                &json!({"name": "Renamed"}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 200);
    };
    rename().await;
    assert_eq!(
        resident().await,
        Resident {
            bookings: 2,
            holds: 1
        }
    );

    // Six days on, the next change of the venue forgets both; the live
    // booking stays (it still holds its table).
    clock.advance(SignedDuration::from_hours(96));
    rename().await;
    assert_eq!(
        resident().await,
        Resident {
            bookings: 1,
            holds: 0
        }
    );

    // Readable by id, to whoever could see it before, and nobody else.
    let r = app.get(&format!("/bookings/{gone_id}"), Some(&ann)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await, cancelled);
    let r = app
        .get(&format!("/bookings/{gone_id}"), Some(&app.admin))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app.get(&format!("/bookings/{gone_id}"), Some(&bob)).await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(body(r).await["error"]["code"], "not_found");

    // In the owner's list and its filters.
    let ids = |page: serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mine = body(app.get("/bookings", Some(&ann)).await).await;
    assert_eq!(ids(mine), vec![gone_id.clone()]);
    let cancelled_only = body(app.get("/bookings?status=cancelled", Some(&ann)).await).await;
    assert_eq!(ids(cancelled_only), vec![gone_id.clone()]);
    let confirmed = body(app.get("/bookings?status=confirmed", Some(&ann)).await).await;
    assert!(ids(confirmed).is_empty());

    // In the day sheet of its date, beside nothing of other dates.
    let date = &start[..10];
    let sheet = body(
        app.get(
            &format!("/venues/{venue}/bookings?date={date}"),
            Some(&app.admin),
        )
        .await,
    )
    .await;
    assert_eq!(ids(sheet), vec![gone_id.clone()]);
    let other = &kept["start"].as_str().unwrap()[..10];
    let sheet = body(
        app.get(
            &format!("/venues/{venue}/bookings?date={other}"),
            Some(&app.admin),
        )
        .await,
    )
    .await;
    assert_eq!(ids(sheet), vec![kept["id"].as_str().unwrap().to_string()]);
}
