//! The load tool against a real server: it runs, reports, and its check
//! both passes on a correct server and fails on a missing booking.

use std::process::Command;

use booking_engine::load::check;
use serde_json::json;

use crate::helpers::*;

async fn load(app: &TestApp, args: &[&str]) -> (bool, String) {
    let url = app.root();
    let mut all = args.to_vec();
    all.extend(["--url", &url, "--seconds", "1", "--clients", "4"]);
    let output = tokio::task::spawn_blocking({
        let all: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        move || {
            Command::new(env!("CARGO_BIN_EXE_booking-load"))
                .args(&all)
                .env("BOOKING_ADMIN_EMAIL", ADMIN_EMAIL)
                .env("BOOKING_ADMIN_PASSWORD", ADMIN_PASSWORD)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[actix_rt::test]
async fn every_scenario_runs_and_the_write_checks_pass() {
    let app = spawn_app().await;
    for args in [
        vec!["spread", "--venues", "5"],
        vec!["hot"],
        vec!["mixed"],
        vec!["read"],
        vec!["baseline"],
        vec!["fanout", "--subscribers", "5"],
    ] {
        let (ok, report) = load(&app, &args).await;
        assert!(ok, "{args:?}:\n{report}");
        assert!(report.contains("requests/s"), "{report}");
        if args[0] != "read" && args[0] != "baseline" {
            assert!(
                report.contains("0 missing, 0 over capacity") && report.contains("OK"),
                "{args:?}:\n{report}"
            );
        }
        if args[0] == "fanout" {
            assert!(report.contains("websocket deliveries"), "{report}");
        }
    }
    // The server runs in this process: its bytes written are ours.
    let pid = std::process::id().to_string();
    let (ok, report) = load(
        &app,
        &[
            "spread",
            "--venues",
            "5",
            "--server-pid",
            &pid,
            "--settle",
            "0",
        ],
    )
    .await;
    assert!(ok, "{report}");
    let per = figure(&report, "server wrote to storage: ");
    assert!(per.is_finite() && per >= 0.0, "{report}");
    // The server did work for the run: its CPU per request is above zero.
    assert!(figure(&report, "server CPU: ") > 0.0, "{report}");
}

/// The figure after " = " on the report's line that starts with `prefix`.
fn figure(report: &str, prefix: &str) -> f64 {
    let line = report
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line:\n{report}"));
    line.split(" = ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

#[actix_rt::test]
async fn the_check_fails_when_an_acknowledged_booking_is_missing() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "t1", "name": "T1", "capacity": 2, "mode": "exclusive"}]),
        ))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(1);
    let r = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(&ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    let real = body(r).await["id"].as_str().unwrap().to_string();
    let dates = vec![start[..10].to_string()];
    let acknowledged = vec![
        (venue.clone(), real),
        (venue.clone(), "never-made".to_string()),
    ];
    let verdict = check::verify(
        &app.client,
        &app.address,
        &app.admin,
        std::slice::from_ref(&venue),
        &dates,
        &acknowledged,
    )
    .await
    .unwrap();
    assert_eq!(verdict.missing, ["never-made"]);
    assert!(verdict.over_capacity.is_empty());
    assert!(!verdict.ok());
}
