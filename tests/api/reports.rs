//! Reports (API v1.1 §8) through the real server: JSON and CSV.

use serde_json::json;

use crate::helpers::*;

#[actix_rt::test]
async fn stats_count_each_day_and_download_as_csv() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(json!([
            {"id": "t4", "name": "T4", "capacity": 4, "mode": "exclusive"},
            {"id": "t6", "name": "T6", "capacity": 6, "mode": "exclusive"},
        ])))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2);
    let mut ids = Vec::new();
    for (t, party) in [("T18:00", 4), ("T18:00", 6), ("T20:00", 2)] {
        let r = app
            .post(
                &format!("/venues/{venue}/bookings"),
                Some(&ann),
                &json!({"start": start.replace("T18:00", t), "party_size": party}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        ids.push(body(r).await["id"].as_str().unwrap().to_string());
    }
    for step in ["seat", "complete"] {
        app.post(
            &format!("/bookings/{}/{step}", ids[0]),
            Some(&app.admin),
            &json!({}),
        )
        .await;
    }
    app.post(
        &format!("/bookings/{}/cancel", ids[2]),
        Some(&ann),
        &json!({}),
    )
    .await;
    let day = &start[..10];
    let path = format!("/venues/{venue}/stats?from={day}&to={day}");

    assert_eq!(
        app.get(&path, Some(&ann)).await.status().as_u16(),
        403,
        "staff only"
    );
    let r = app.get(&path, Some(&app.admin)).await;
    assert_eq!(r.status().as_u16(), 200);
    let stats = body(r).await;
    let d = &stats["days"][0];
    assert_eq!(
        (
            d["date"].as_str(),
            d["bookings"].as_u64(),
            d["covers"].as_u64()
        ),
        (Some(day), Some(3), Some(4))
    );
    assert_eq!(
        d["by_status"],
        json!({"pending": 0, "confirmed": 1, "seated": 0, "completed": 1, "cancelled": 1, "no_show": 0})
    );
    assert_eq!(d["cancellation_rate"].as_f64().unwrap(), 1.0 / 3.0);
    assert_eq!(d["no_show_rate"], 0.0);
    // (4 + 6) × 90 booked of (4 + 6) × 480 open seat-minutes.
    assert!((d["occupancy"].as_f64().unwrap() - 900.0 / 4800.0).abs() < 1e-9);
    assert_eq!(d["peak"], json!({"start": start, "covers": 10}));
    assert_eq!(stats["totals"]["bookings"], 3);

    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(&app.admin)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0].trim_end(),
        "date,bookings,covers,pending,confirmed,seated,completed,cancelled,no_show,no_show_rate,cancellation_rate,occupancy"
    );
    assert_eq!(rows.len(), 2, "a header and one row per day");
    assert!(
        rows[1].starts_with(&format!("{day},3,4,0,1,0,1,1,0,")),
        "{}",
        rows[1]
    );

    // Ranges: `to` not before `from`, at most 366 days.
    for (from, to) in [("2027-01-02", "2027-01-01"), ("2027-01-01", "2028-01-02")] {
        let r = app
            .get(
                &format!("/venues/{venue}/stats?from={from}&to={to}"),
                Some(&app.admin),
            )
            .await;
        assert_eq!(r.status().as_u16(), 422);
        assert_eq!(body(r).await["error"]["details"]["field"], "to");
    }
    let r = app
        .get(
            &format!("/venues/{venue}/stats?from=2027-01-01&to=2027-12-31"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(body(r).await["days"].as_array().unwrap().len(), 365);
}
