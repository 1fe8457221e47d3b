//! The final report, and the WebSocket side of the fanout scenario.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::load::check::Verdict;
use crate::load::{Scenario, Tally};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// WebSocket delivery figures.
#[derive(Debug)]
pub struct Deliveries {
    pub expected: usize,
    pub received: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// N subscribers of one venue's bookings, timing each event from the
/// booking's `created_at` (set by the venue) to its arrival.
pub struct Fanout {
    latencies: mpsc::UnboundedReceiver<f64>,
    subscribers: usize,
}

impl Fanout {
    pub async fn start(api: &str, token: &str, venue: &str, n: usize) -> anyhow::Result<Fanout> {
        let (tx, latencies) = mpsc::unbounded_channel();
        let (ready_tx, mut ready) = mpsc::unbounded_channel();
        let url = format!("{}/ws", api.replacen("http", "ws", 1));
        let topic = format!("venue:{venue}:bookings");
        for chunk in 0..n.div_ceil(200) {
            let mut batch = Vec::new();
            for _ in 0..200.min(n - chunk * 200) {
                let (url, topic, token, tx, ready_tx) = (
                    url.clone(),
                    topic.clone(),
                    token.to_string(),
                    tx.clone(),
                    ready_tx.clone(),
                );
                batch.push(tokio::spawn(async move {
                    let mut request = url.into_client_request()?;
                    request
                        .headers_mut()
                        .insert("Authorization", format!("Bearer {token}").parse()?);
                    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
                    socket
                        .send(Message::text(
                            json!({"type": "subscribe", "topic": topic}).to_string(),
                        ))
                        .await?;
                    tokio::spawn(async move {
                        while let Some(Ok(Message::Text(text))) = socket.next().await {
                            let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                                continue;
                            };
                            if frame["type"] == "subscribed" {
                                let _ = ready_tx.send(());
                            } else if let Some(at) = frame["data"]["created_at"]
                                .as_str()
                                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                            {
                                let ms = (jiff::Timestamp::now().as_microsecond()
                                    - at.as_microsecond())
                                    as f64
                                    / 1000.0;
                                let _ = tx.send(ms);
                            }
                        }
                    });
                    anyhow::Ok(())
                }));
            }
            for task in batch {
                task.await??;
            }
        }
        for _ in 0..n {
            ready.recv().await;
        }
        eprintln!("  {n} subscribers ready");
        Ok(Fanout {
            latencies,
            subscribers: n,
        })
    }

    /// Waits (at most 10 s) for every subscriber to get every event.
    pub async fn finish(mut self, events: usize) -> Deliveries {
        let expected = events * self.subscribers;
        let mut got = Vec::with_capacity(expected);
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.len() < expected {
            match tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                self.latencies.recv(),
            )
            .await
            {
                Ok(Some(ms)) => got.push(ms),
                _ => break,
            }
        }
        got.sort_by(f64::total_cmp);
        Deliveries {
            expected,
            received: got.len(),
            p50_ms: percentile(&got, 0.5),
            p99_ms: percentile(&got, 0.99),
            max_ms: got.last().copied().unwrap_or(0.0),
        }
    }
}

/// Everything a run measured.
pub struct Report {
    scenario: Scenario,
    elapsed: Duration,
    requests: usize,
    latencies_ms: Vec<f64>,
    statuses: BTreeMap<String, u64>,
    acknowledged: usize,
    deliveries: Option<Deliveries>,
    verdict: Option<Verdict>,
    /// Bytes the server wrote to storage during the run and the settle.
    pub(crate) written: Option<u64>,
    /// The server's CPU seconds during the run (not the settle).
    pub(crate) server_cpu: Option<f64>,
}

impl Report {
    pub(crate) fn new(
        scenario: Scenario,
        elapsed: Duration,
        mut tally: Tally,
        deliveries: Option<Deliveries>,
        verdict: Option<Verdict>,
    ) -> Self {
        tally.latencies_ms.sort_by(f64::total_cmp);
        Report {
            scenario,
            elapsed,
            requests: tally.latencies_ms.len(),
            latencies_ms: tally.latencies_ms,
            statuses: tally.statuses,
            acknowledged: tally.acknowledged.len(),
            deliveries,
            verdict,
            written: None,
            server_cpu: None,
        }
    }

    /// The server's bytes written to storage per acknowledged booking.
    pub fn bytes_per_booking(&self) -> Option<f64> {
        let written = self.written?;
        (self.acknowledged > 0).then(|| written as f64 / self.acknowledged as f64)
    }

    /// False when the invariant check failed.
    pub fn ok(&self) -> bool {
        self.verdict.as_ref().is_none_or(Verdict::ok)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        let l = &self.latencies_ms;
        writeln!(
            f,
            "scenario {:?}: {} requests in {secs:.1} s = {:.0} requests/s",
            self.scenario,
            self.requests,
            self.requests as f64 / secs
        )?;
        writeln!(
            f,
            "latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
            percentile(l, 0.5),
            percentile(l, 0.95),
            percentile(l, 0.99),
            l.last().copied().unwrap_or(0.0)
        )?;
        if self.acknowledged > 0 {
            writeln!(
                f,
                "bookings acknowledged: {} = {:.0}/s",
                self.acknowledged,
                self.acknowledged as f64 / secs
            )?;
        }
        if let Some(written) = self.written {
            let per = self
                .bytes_per_booking()
                .map_or("-".to_string(), |b| format!("{b:.0}"));
            writeln!(
                f,
                "server wrote to storage: {written} bytes = {per} bytes per acknowledged booking"
            )?;
        }
        if let Some(cpu) = self.server_cpu {
            let per = cpu * 1e6 / self.requests.max(1) as f64;
            writeln!(f, "server CPU: {cpu:.2} s = {per:.1} us per request")?;
        }
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        writeln!(f, "responses: {}", statuses.join(", "))?;
        if let Some(d) = &self.deliveries {
            writeln!(
                f,
                "websocket deliveries: {} of {} (created_at -> subscriber) p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
                d.received, d.expected, d.p50_ms, d.p99_ms, d.max_ms
            )?;
        }
        if let Some(v) = &self.verdict {
            writeln!(
                f,
                "check: {} acknowledged, {} missing, {} over capacity ({} day sheets read): {}",
                v.acknowledged,
                v.missing.len(),
                v.over_capacity.len(),
                v.day_sheets_read,
                if v.ok() { "OK" } else { "FAILED" }
            )?;
            for problem in v
                .missing
                .iter()
                .take(5)
                .chain(v.over_capacity.iter().take(5))
            {
                writeln!(f, "  {problem}")?;
            }
        }
        Ok(())
    }
}
