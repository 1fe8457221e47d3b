//! The live-push attacks against the real binary, in rounds: 400 anonymous
//! sockets from one address, each flooding availability subscriptions for
//! ids that are not venues and for every group of a quiet venue, then
//! gone. What the server keeps for them must be given back, so its
//! resident memory after the last round is where it was after the first
//! (before the bounds, one such socket left +162 MiB behind for good).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, body, evening_text, numbered_tables, restaurant,
};

/// Sockets one attacker opens at once (the per-address cap is 64).
const SOCKETS: usize = 400;
/// Subscribe frames over all of a round's sockets.
const FRAMES: usize = 20_000;
/// What three rounds after the first three may add, in KiB: allocator
/// noise (measured: +0.3-0.5 MiB; the arenas grow by about 2 MiB over the
/// first rounds, then stay). Keeping 20 KiB per accepted socket would add
/// 3.8 MiB, an entry per refused frame far more.
const SLACK_KIB: u64 = 1536;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap()
}

/// One attack; how many sockets the server accepted.
async fn round(api: &str, venue: &str) -> usize {
    let url = format!("{}/ws", api.replacen("http", "ws", 1));
    let attempts = (0..SOCKETS).map(|_| tokio_tungstenite::connect_async(url.clone()));
    let sockets: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter_map(Result::ok)
        .map(|(socket, _)| socket)
        .collect();
    let accepted = sockets.len();
    let per_socket = FRAMES / accepted.max(1);
    let dates: Vec<String> = (1..=4).map(|d| evening_text(d)[..10].to_string()).collect();
    let tasks = sockets.into_iter().enumerate().map(|(s, mut socket)| {
        let (venue, dates) = (venue.to_string(), dates.clone());
        tokio::spawn(async move {
            for i in 0..per_socket {
                // First every group of the real venue the burst allows,
                // then ids that are not venues.
                let topic = if i < 32 {
                    format!("venue:{venue}:availability")
                } else {
                    format!("venue:nope-{s}-{i}:availability")
                };
                let frame = json!({"type": "subscribe", "topic": topic,
                    "date": dates[i % 4], "party_size": 1 + i / 4 % 8});
                if socket.send(Message::text(frame.to_string())).await.is_err() {
                    return;
                }
            }
            // Every frame is answered (subscribed, not_found, rate_limited).
            let mut answers = 0;
            while answers < per_socket {
                match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
                    Ok(Some(Ok(Message::Text(_)))) => answers += 1,
                    Ok(Some(Ok(_))) => {}
                    _ => break,
                }
            }
            assert_eq!(answers, per_socket, "every subscribe frame is answered");
            let _ = socket.close(None).await;
        })
    });
    for task in futures::future::join_all(tasks).await {
        task.unwrap();
    }
    accepted
}

#[actix_rt::test]
async fn rounds_of_the_subscription_flood_give_their_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    // Rate limits and the per-address cap on, as in production.
    let server = crate::process::start_with(dir.path(), &[], &[("BOOKING_RATE_LIMIT", "on")]).await;
    let api = format!("{}/api/v1", server.base);
    let client = booking_engine::tls::client().build().unwrap();
    let login = client
        .post(format!("{api}/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = body(login).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let made = client
        .post(format!("{api}/venues"))
        .bearer_auth(&token)
        .json(&restaurant(numbered_tables(2)))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let venue = body(made).await["id"].as_str().unwrap().to_string();

    let pid = server.child.id();
    let mut after = Vec::new();
    for _ in 0..6 {
        let accepted = round(&api, &venue).await;
        assert!(
            (1..=64).contains(&accepted),
            "{accepted} of {SOCKETS} sockets from one address accepted (cap 64)"
        );
        // Closed sockets are reaped, groups of a quiet venue end with
        // their last member.
        tokio::time::sleep(Duration::from_secs(2)).await;
        after.push(rss_kib(pid));
    }
    println!("RSS after each round (KiB): {after:?}");
    // The first rounds warm the allocator's arenas; later ones reuse them.
    assert!(
        after[5] <= after[2] + SLACK_KIB,
        "RSS grew from {} KiB to {} KiB over three more rounds",
        after[2],
        after[5]
    );
    // And the server still serves a subscriber.
    let mut socket = crate::ws::connect_to(&api, None).await;
    let date = &evening_text(1)[..10];
    socket
        .subscribe(
            json!({"type": "subscribe", "topic": format!("venue:{venue}:availability"),
            "date": date, "party_size": 2}),
        )
        .await;
}
