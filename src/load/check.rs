//! After a write scenario: through the API, every acknowledged booking is
//! there and no resource is over capacity at any start.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use jiff::Timestamp;
use serde_json::Value;

use crate::load::{json_call, touched};

/// What the check found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub acknowledged: usize,
    pub missing: Vec<String>,
    pub over_capacity: Vec<String>,
    pub day_sheets_read: usize,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.missing.is_empty() && self.over_capacity.is_empty()
    }
}

struct Live {
    resource: String,
    start: Timestamp,
    end: Timestamp,
    party: u64,
}

async fn day_sheet(
    client: &reqwest::Client,
    api: &str,
    admin: &str,
    venue: &str,
    date: &str,
) -> anyhow::Result<Vec<Value>> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{api}/venues/{venue}/bookings?date={date}&limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) =
            json_call(client, reqwest::Method::GET, url, Some(admin), None).await?;
        anyhow::ensure!(
            status == 200,
            "reading a day sheet failed ({status}): {page}"
        );
        rows.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return Ok(rows),
        }
    }
}

pub async fn verify(
    client: &reqwest::Client,
    api: &str,
    admin: &str,
    venues: &[String],
    dates: &[String],
    acknowledged: &[(String, String)],
) -> anyhow::Result<Verdict> {
    let mut verdict = Verdict {
        acknowledged: acknowledged.len(),
        ..Verdict::default()
    };
    let pairs: Vec<(String, String)> = touched(acknowledged, dates, venues).into_iter().collect();
    let mut seen = BTreeSet::new();
    let mut live: BTreeMap<String, Vec<Live>> = BTreeMap::new();
    for chunk in pairs.chunks(32) {
        let sheets = futures::future::join_all(
            chunk
                .iter()
                .map(|(v, d)| day_sheet(client, api, admin, v, d)),
        )
        .await;
        for ((venue, _), rows) in chunk.iter().zip(sheets) {
            verdict.day_sheets_read += 1;
            for b in rows? {
                let id = b["id"]
                    .as_str()
                    .context("a booking without id")?
                    .to_string();
                seen.insert(id);
                if matches!(
                    b["status"].as_str(),
                    Some("pending" | "confirmed" | "seated")
                ) {
                    live.entry(venue.clone()).or_default().push(Live {
                        resource: b["resource_id"].as_str().unwrap_or_default().to_string(),
                        start: b["start"].as_str().unwrap_or_default().parse()?,
                        end: b["end"].as_str().unwrap_or_default().parse()?,
                        party: b["party_size"].as_u64().unwrap_or(0),
                    });
                }
            }
        }
    }
    verdict.missing = acknowledged
        .iter()
        .filter(|(_, id)| !seen.contains(id))
        .map(|(_, id)| id.clone())
        .collect();
    for (venue, bookings) in &live {
        let (status, v) = json_call(
            client,
            reqwest::Method::GET,
            format!("{api}/venues/{venue}"),
            None,
            None,
        )
        .await?;
        anyhow::ensure!(status == 200, "reading venue {venue} failed ({status})");
        for r in v["resources"].as_array().cloned().unwrap_or_default() {
            let (id, capacity, shared) = (
                r["id"].as_str().unwrap_or_default(),
                r["capacity"].as_u64().unwrap_or(0),
                r["mode"] == "shared",
            );
            let mine: Vec<&Live> = bookings.iter().filter(|b| b.resource == id).collect();
            for b in &mine {
                let at = b.start;
                let overlapping = mine.iter().filter(|o| o.start <= at && at < o.end);
                let load: u64 = if shared {
                    overlapping.map(|o| o.party).sum()
                } else {
                    overlapping.count() as u64
                };
                let limit = if shared { capacity } else { 1 };
                if load > limit {
                    verdict.over_capacity.push(format!(
                        "venue {venue} resource {id} at {at}: {load} > {limit}"
                    ));
                    break;
                }
            }
        }
    }
    Ok(verdict)
}
