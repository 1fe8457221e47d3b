//! Shared bookings (API v1.1 §6) through the real server.

use serde_json::json;

use crate::friends::friends;
use crate::helpers::*;
use crate::ws::connect;

#[actix_rt::test]
async fn an_accepted_friend_sees_the_booking_without_the_phone_and_its_events() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "t4", "name": "T4", "capacity": 4, "mode": "exclusive"}]),
        ))
        .await;
    let ((ann, _), (bob, bob_id)) = friends(&app, "ann", "bob").await;
    let (eve, eve_id) = app.register("eve@example.com").await;
    app.patch("/me", Some(&ann), &json!({"phone": "+8613800138000"}))
        .await;
    let r = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(&ann),
            &json!({"start": evening_text(2), "party_size": 2}),
        )
        .await;
    let booking = body(r).await;
    let id = booking["id"].as_str().unwrap();
    let path = |tail: &str| format!("/bookings/{id}/invitations{tail}");

    // Only friends can be invited; strangers and the un-accepted see nothing.
    let r = app
        .post(&path(""), Some(&ann), &json!({"user_id": eve_id}))
        .await;
    assert_eq!(r.status().as_u16(), 404, "not a friend");
    let r = app
        .post(&path(""), Some(&ann), &json!({"user_id": bob_id}))
        .await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(
        body(r).await,
        json!({"booking_id": id, "user_id": bob_id, "name": "bob@example.com", "status": "invited"})
    );
    assert_eq!(
        app.get(&format!("/bookings/{id}"), Some(&bob))
            .await
            .status()
            .as_u16(),
        404,
        "not accepted yet"
    );
    assert_eq!(
        app.get(&format!("/bookings/{id}"), Some(&eve))
            .await
            .status()
            .as_u16(),
        404
    );
    let pending = body(app.get("/me/invitations", Some(&bob)).await).await;
    assert_eq!(pending["items"][0]["booking_id"], id);
    assert_eq!(
        pending["items"][0]["booking"]["guest"]["phone"],
        json!(null)
    );

    // Bob accepts: he sees it without Ann's phone, and its events.
    let mut ws = connect(&app, Some(&bob)).await;
    ws.subscribe(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;
    let r = app.post(&path("/accept"), Some(&bob), &json!({})).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await["status"], "accepted");
    assert_eq!(
        app.post(&path("/accept"), Some(&bob), &json!({}))
            .await
            .status()
            .as_u16(),
        409
    );
    let seen = body(app.get(&format!("/bookings/{id}"), Some(&bob)).await).await;
    assert_eq!(seen["guest"]["phone"], json!(null));
    assert_eq!(
        seen["guests"],
        json!([{"name": "bob@example.com", "status": "accepted"}]),
        "no user ids for invitees"
    );
    let owner = body(app.get(&format!("/bookings/{id}"), Some(&ann)).await).await;
    assert_eq!(owner["guest"]["phone"], "+8613800138000");
    assert_eq!(owner["guests"][0]["user_id"], json!(bob_id));
    let frame = ws.next().await;
    assert_eq!(frame["event"], "booking.updated", "{frame}");
    app.patch(
        &format!("/bookings/{id}"),
        Some(&ann),
        &json!({"note": "by the window"}),
    )
    .await;
    let frame = ws.next().await;
    assert_eq!(
        (frame["event"].as_str(), frame["data"]["note"].as_str()),
        (Some("booking.updated"), Some("by the window"))
    );
    assert_eq!(frame["data"]["guest"]["phone"], json!(null));

    // He can change nothing, nor invite anyone.
    assert_eq!(
        app.post(&format!("/bookings/{id}/cancel"), Some(&bob), &json!({}))
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        app.patch(
            &format!("/bookings/{id}"),
            Some(&bob),
            &json!({"note": "x"})
        )
        .await
        .status()
        .as_u16(),
        403
    );
    assert_eq!(
        app.post(&path(""), Some(&bob), &json!({"user_id": eve_id}))
            .await
            .status()
            .as_u16(),
        403
    );
    // The party cannot shrink below its guests; no more room for a friend.
    let r = app
        .patch(
            &format!("/bookings/{id}"),
            Some(&ann),
            &json!({"party_size": 1}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    // (A party of two has room for one friend: Dan, another friend, is one too many.)
    let (dan, dan_id) = app.register("dan@example.com").await;
    let code = body(app.get("/me", Some(&dan)).await).await["friend_code"]
        .as_str()
        .unwrap()
        .to_string();
    let req = body(
        app.post(
            "/friends/requests",
            Some(&ann),
            &json!({"friend_code": code}),
        )
        .await,
    )
    .await;
    app.post(
        &format!("/friends/requests/{}/accept", req["id"].as_str().unwrap()),
        Some(&dan),
        &json!({}),
    )
    .await;
    let r = app
        .post(&path(""), Some(&ann), &json!({"user_id": dan_id}))
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(body(r).await["error"]["details"]["reason"], "limit");

    // Bob leaves it; then he sees nothing again.
    let r = app.delete(&path(&format!("/{bob_id}")), Some(&bob)).await;
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(
        app.get(&format!("/bookings/{id}"), Some(&bob))
            .await
            .status()
            .as_u16(),
        404
    );
    // A friend removed cannot be invited.
    app.delete(&format!("/friends/{bob_id}"), Some(&ann)).await;
    let r = app
        .post(&path(""), Some(&ann), &json!({"user_id": bob_id}))
        .await;
    assert_eq!(r.status().as_u16(), 404, "no longer a friend");
}
