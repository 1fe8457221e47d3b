//! The floor (API v1.1 §4) through the real server: turn times.

use serde_json::json;

use crate::helpers::*;

#[actix_rt::test]
async fn turn_times_set_each_partys_length_and_its_grid() {
    let app = spawn_app().await;
    let mut v = restaurant(json!([
        {"id": "t1", "name": "T1", "capacity": 2, "mode": "exclusive"},
        {"id": "t2", "name": "T2", "capacity": 6, "mode": "exclusive"},
    ]));
    v["turn_minutes"] = json!([{"max_party": 2, "minutes": 60}]);
    let id = app.create_venue(&v).await;
    let venue = body(app.get(&format!("/venues/{id}"), None).await).await;
    assert_eq!(
        venue["turn_minutes"],
        json!([{"max_party": 2, "minutes": 60}])
    );

    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2);
    let book = |party: u32, start: String| {
        let (app, ann, id) = (&app, ann.clone(), id.clone());
        async move {
            let r = app
                .post(
                    &format!("/venues/{id}/bookings"),
                    Some(&ann),
                    &json!({"start": start, "party_size": party}),
                )
                .await;
            (r.status().as_u16(), body(r).await)
        }
    };
    let (status, couple) = book(2, start.clone()).await;
    assert_eq!(status, 201);
    assert_eq!(couple["end"], start.replace("T18:00", "T19:00"));
    let (_, four) = book(4, start.clone()).await;
    assert_eq!(
        four["end"],
        start.replace("T18:00", "T19:30"),
        "larger parties: booking_minutes"
    );

    // 21:00 leaves an hour before the 22:00 close: a couple's start only.
    let date = &start[..10];
    let starts = |party: u32| {
        let (app, id) = (&app, id.clone());
        async move {
            let a = body(
                app.get(
                    &format!("/venues/{id}/availability?date={date}&party_size={party}"),
                    None,
                )
                .await,
            )
            .await;
            a["slots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["start"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let late = start.replace("T18:00", "T21:00");
    assert!(starts(2).await.contains(&late));
    assert!(!starts(4).await.contains(&late));
    let (status, refused) = book(4, late.clone()).await;
    assert_eq!(status, 422);
    assert_eq!(refused["error"]["details"]["field"], "start");

    // Bad rows are 422 naming the field; a later change leaves bookings be.
    for (rows, field) in [
        (
            json!([{"max_party": 4, "minutes": 50}]),
            "turn_minutes[0].minutes",
        ),
        (
            json!([{"max_party": 4, "minutes": 60}, {"max_party": 2, "minutes": 90}]),
            "turn_minutes[1].max_party",
        ),
    ] {
        let r = app
            .patch(
                &format!("/venues/{id}"),
                Some(&app.admin),
                &json!({"turn_minutes": rows}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 422, "{rows}");
        assert_eq!(body(r).await["error"]["details"]["field"], field);
    }
    let r = app
        .patch(
            &format!("/venues/{id}"),
            Some(&app.admin),
            &json!({"turn_minutes": [{"max_party": 2, "minutes": 120}]}),
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        200,
        "existing bookings keep their length and strand nothing"
    );
    let kept = body(
        app.get(
            &format!("/bookings/{}", couple["id"].as_str().unwrap()),
            Some(&ann),
        )
        .await,
    )
    .await;
    assert_eq!(kept["end"], couple["end"]);
}
