//! Backups taken while serving, and restores that give exactly that state.

use std::collections::BTreeSet;

use booking_engine::store::{EngineKind, Storage, backup};
use serde_json::json;

use crate::helpers::*;

async fn take_backup(app: &TestApp, token: &str) -> reqwest::Response {
    app.get("/admin/backup", Some(token)).await
}

#[actix_rt::test]
async fn a_backup_then_more_bookings_then_a_restore_gives_the_state_at_backup_time() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}]),
        ))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let path = format!("/venues/{venue}/bookings");
    let book = |days: i64| {
        let (app, path, ann) = (&app, path.clone(), ann.clone());
        async move {
            app.post(
                &path,
                Some(&ann),
                &json!({"start": evening_text(days), "party_size": 1}),
            )
            .await
        }
    };
    let mut before = BTreeSet::new();
    for days in 2..5 {
        before.insert(
            body(book(days).await).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let r = take_backup(&app, &app.admin).await;
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap();
    for days in 5..7 {
        assert_eq!(book(days).await.status().as_u16(), 201);
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();
    for kind in [EngineKind::Redb, EngineKind::Sled] {
        let dir = tempfile::tempdir().unwrap();
        let records = backup::restore(file.path(), kind, dir.path(), &mut |_| {}).unwrap();
        assert!(records > 0);
        let store = reopen(kind, dir.path());
        let venues = store.load_all().unwrap();
        assert_eq!(venues.len(), 1);
        let ids: BTreeSet<String> = venues[0].bookings().map(|b| b.id.to_string()).collect();
        assert_eq!(ids, before, "{kind:?}");
        // The replay log came along too.
        assert_eq!(
            store.events_after(venues[0].id(), 0, 100).unwrap().len() as u64,
            venues[0].seq()
        );
    }
}

#[actix_rt::test]
async fn only_an_admin_takes_a_backup() {
    let app = spawn_app().await;
    let (ann, _) = app.register("ann@example.com").await;
    assert_eq!(take_backup(&app, &ann).await.status().as_u16(), 403);
}

#[actix_rt::test]
async fn a_damaged_or_truncated_backup_is_refused_before_anything_is_written() {
    let app = spawn_app().await;
    app.create_venue(&restaurant(
        json!([{"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}]),
    ))
    .await;
    let good = take_backup(&app, &app.admin)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let cases = [
        ("flipped", flipped),
        ("truncated", good[..good.len() - 40].to_vec()),
        ("empty", Vec::new()),
        ("not a backup", b"hello".to_vec()),
    ];
    for (what, bytes) in cases {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let err = backup::restore(file.path(), EngineKind::Redb, dir.path(), &mut |_| {})
            .expect_err(what);
        assert!(err.to_string().contains("damaged"), "{what}: {err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{what}: nothing written"
        );
    }
    // A good one restores, but never over an existing store.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &good).unwrap();
    let dir = tempfile::tempdir().unwrap();
    backup::restore(file.path(), EngineKind::Redb, dir.path(), &mut |_| {}).unwrap();
    assert!(backup::restore(file.path(), EngineKind::Redb, dir.path(), &mut |_| {}).is_err());
}
