//! Friends (API v1.1 §6) through the real server.

use serde_json::{Value, json};

use crate::helpers::*;

async fn code_of(app: &TestApp, token: &str) -> String {
    body(app.get("/me", Some(token)).await).await["friend_code"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn ask(app: &TestApp, token: &str, code: &str) -> (u16, Value) {
    let r = app
        .post(
            "/friends/requests",
            Some(token),
            &json!({"friend_code": code}),
        )
        .await;
    (r.status().as_u16(), body(r).await)
}

/// Makes two users friends; answers their tokens and ids.
pub async fn friends(app: &TestApp, a: &str, b: &str) -> ((String, String), (String, String)) {
    let (ta, ia) = app.register(&format!("{a}@example.com")).await;
    let (tb, ib) = app.register(&format!("{b}@example.com")).await;
    let (status, r) = ask(app, &ta, &code_of(app, &tb).await).await;
    assert_eq!(status, 201, "{r}");
    let accepted = app
        .post(
            &format!("/friends/requests/{}/accept", r["id"].as_str().unwrap()),
            Some(&tb),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status().as_u16(), 200);
    ((ta, ia), (tb, ib))
}

#[actix_rt::test]
async fn friends_ask_by_code_answer_and_part() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.register("ann@example.com").await;
    let (bob, bob_id) = app.register("bob@example.com").await;
    let (cat, _) = app.register("cat@example.com").await;
    let bob_code = code_of(&app, &bob).await;
    assert!((8..=12).contains(&bob_code.len()));

    let (status, r) = ask(&app, &ann, &bob_code).await;
    assert_eq!(status, 201);
    assert_eq!(
        (
            r["status"].as_str(),
            &r["from"]["user_id"],
            &r["to"]["user_id"]
        ),
        (Some("pending"), &json!(ann_id), &json!(bob_id))
    );
    assert_eq!(ask(&app, &ann, &bob_code).await.0, 409, "asked already");
    assert_eq!(
        ask(&app, &ann, &code_of(&app, &ann).await).await.0,
        409,
        "oneself"
    );
    assert_eq!(ask(&app, &ann, "ZZZZZZZZ").await.0, 404, "an unknown code");

    // Both see it, with its direction; only Bob may answer.
    let incoming = body(app.get("/friends/requests", Some(&bob)).await).await;
    assert_eq!(incoming["items"][0]["direction"], "incoming");
    let outgoing = body(app.get("/friends/requests", Some(&ann)).await).await;
    assert_eq!(outgoing["items"][0]["direction"], "outgoing");
    let id = r["id"].as_str().unwrap();
    let path = |what: &str| format!("/friends/requests/{id}/{what}");
    assert_eq!(
        app.post(&path("accept"), Some(&ann), &json!({}))
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        app.post(&path("accept"), Some(&cat), &json!({}))
            .await
            .status()
            .as_u16(),
        404
    );
    let r = app.post(&path("accept"), Some(&bob), &json!({})).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body(r).await["status"], "accepted");
    assert_eq!(
        app.post(&path("decline"), Some(&bob), &json!({}))
            .await
            .status()
            .as_u16(),
        409
    );
    let list = body(app.get("/friends", Some(&ann)).await).await;
    assert_eq!(list["items"][0]["user_id"], json!(bob_id));
    assert!(list["items"][0]["since"].is_string());
    assert_eq!(ask(&app, &ann, &bob_code).await.0, 409, "friends already");

    // Parting ends it on both sides.
    let r = app.delete(&format!("/friends/{bob_id}"), Some(&ann)).await;
    assert_eq!(r.status().as_u16(), 204);
    let list = body(app.get("/friends", Some(&bob)).await).await;
    assert_eq!(list["items"], json!([]));

    // A request the other way round accepts a pending one.
    let (_, r) = ask(&app, &cat, &code_of(&app, &ann).await).await;
    assert_eq!(r["status"], "pending");
    let (status, r) = ask(&app, &ann, &code_of(&app, &cat).await).await;
    assert_eq!((status, r["status"].as_str()), (201, Some("accepted")));

    // A new code: the old one finds nobody.
    let r = app.post("/me/friend-code", Some(&bob), &json!({})).await;
    assert_eq!(r.status().as_u16(), 200);
    let fresh = body(r).await["friend_code"].as_str().unwrap().to_string();
    assert_ne!(fresh, bob_code);
    assert_eq!(ask(&app, &cat, &bob_code).await.0, 404);
    assert_eq!(ask(&app, &cat, &fresh).await.0, 201);
}

#[actix_rt::test]
async fn guessing_friend_codes_is_limited_per_user() {
    let app = spawn_app().await;
    let (eve, _) = app.register("eve@example.com").await;
    for i in 0..10 {
        assert_eq!(ask(&app, &eve, &format!("ZZZZZZ{i:02}")).await.0, 404);
    }
    let (status, e) = ask(&app, &eve, "ZZZZZZ99").await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    // Another spelling of a code (lower case) is the same guess.
    assert_eq!(ask(&app, &eve, "zzzzzz98").await.0, 429);
}
