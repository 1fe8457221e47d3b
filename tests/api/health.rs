use crate::helpers::spawn_app;

#[actix_rt::test]
async fn health_and_ready_answer_ok_on_a_fresh_store() {
    let app = spawn_app().await;
    let health = app.get(&format!("{}/health", app.root()), None).await;
    assert_eq!(health.status().as_u16(), 200);
    let ready = app.get(&format!("{}/ready", app.root()), None).await;
    assert_eq!(ready.status().as_u16(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["ready"], true);
    assert_eq!(body["store"], "redb");
}

#[actix_rt::test]
async fn an_unknown_route_is_a_404_in_the_error_format() {
    let app = spawn_app().await;
    let response = app.get("/nothing-here", None).await;
    assert_eq!(response.status().as_u16(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].is_string());
}

#[actix_rt::test]
async fn the_demo_venue_is_bookable_through_the_engine_of_a_served_app() {
    let app = spawn_app().await;
    let engine = &app.engine;
    let id = crate::helpers::venue(
        engine,
        booking_engine::demo::restaurant_settings(Vec::new()),
    )
    .await;
    let start = crate::helpers::evening(engine.now(), 2);
    let reply = engine
        .execute(&id, crate::helpers::booking("ann", start, 4))
        .await;
    assert!(reply.is_ok(), "{reply:?}");
}
