//! The load generator behind `booking-load`: drives a running server over
//! real HTTP and WebSocket from many concurrent clients, shows progress,
//! reports throughput, latency and errors, and after a write scenario checks
//! through the API that every acknowledged booking is there and that no
//! resource is over capacity at any start.

pub mod check;
mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub use report::Report;

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Bookings spread over many venues.
    Spread,
    /// Bookings into one venue.
    Hot,
    /// Availability reads.
    Read,
    /// 90 % availability reads, 10 % bookings.
    Mixed,
    /// Subscribers of one venue while bookings stream in.
    Fanout,
    /// `GET /health` and an authenticated `GET /me`: the framework's own rate.
    Baseline,
}

impl Scenario {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "spread" => Self::Spread,
            "hot" => Self::Hot,
            "read" => Self::Read,
            "mixed" => Self::Mixed,
            "fanout" => Self::Fanout,
            "baseline" => Self::Baseline,
            _ => return None,
        })
    }

    fn writes(self) -> bool {
        matches!(self, Self::Spread | Self::Hot | Self::Mixed | Self::Fanout)
    }
}

/// How to run it.
#[derive(Clone, Debug)]
pub struct Options {
    pub url: String,
    /// Where the admin signs in and the venues are made, if not `url`
    /// (on a cluster, another node than the one loaded: every booking is
    /// then sent on to the venue's writer).
    pub setup_url: Option<String>,
    pub scenario: Scenario,
    pub duration: Duration,
    pub clients: usize,
    pub venues: usize,
    pub subscribers: usize,
    /// Total requests per second to aim at (paced per client); none: flat out.
    pub rate: Option<f64>,
    pub admin_email: String,
    pub admin_password: String,
    /// The server's pid, to report its bytes written to storage per
    /// acknowledged booking (`/proc/<pid>/io`, Linux).
    pub server_pid: Option<u32>,
    /// How long to wait after the load before the second reading, so that
    /// the server's background checkpoint is counted too.
    pub settle: Duration,
}

/// A process's bytes sent to storage so far (`write_bytes` of
/// `/proc/<pid>/io`): counts the disk, not the page cache.
pub fn write_bytes(pid: u32) -> anyhow::Result<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io"))
        .with_context(|| format!("reading /proc/{pid}/io (same user, Linux)"))?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
        .context("no write_bytes line in /proc/<pid>/io")
}

/// A process's CPU time so far, user and system (`utime` + `stime` of
/// `/proc/<pid>/stat`): what a request costs the server, a figure the
/// shared machine's noise moves far less than requests per second.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat (Linux)"))?;
    // The command name (field 2) may hold spaces; fields count from its ')'.
    let rest = stat
        .rsplit_once(')')
        .context("no ')' in /proc/<pid>/stat")?
        .1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .context("short /proc/<pid>/stat")?
            .parse::<f64>()?)
    };
    // utime and stime are fields 14 and 15, i.e. the 12th and 13th after the ')'.
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok((ticks(11)? + ticks(12)?) / hz)
}

/// Dates a run books on: few, so that the check can read every day sheet.
const DATES: i64 = 3;
/// Shared halls per venue, 1,000 places each: room for any run's bookings.
const HALLS: usize = 10;

/// One client's tally.
#[derive(Default)]
pub(crate) struct Tally {
    pub latencies_ms: Vec<f64>,
    pub statuses: BTreeMap<String, u64>,
    pub acknowledged: Vec<(String, String)>,
}

struct Setup {
    api: String,
    admin: String,
    customers: Vec<String>,
    venues: Vec<String>,
    dates: Vec<String>,
}

async fn json_call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut req = client.request(method, &url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let response = req
        .send()
        .await
        .with_context(|| format!("Failed to call {url}"))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

async fn setup(client: &reqwest::Client, o: &Options) -> anyhow::Result<Setup> {
    let url = o.setup_url.as_deref().unwrap_or(&o.url);
    let api = format!("{}/api/v1", url.trim_end_matches('/'));
    let (status, login) = json_call(
        client,
        reqwest::Method::POST,
        format!("{api}/auth/login"),
        None,
        Some(json!({"email": o.admin_email, "password": o.admin_password})),
    )
    .await?;
    if status != 200 {
        bail!(
            "the admin login failed ({status}): run the server with BOOKING_ADMIN_EMAIL/PASSWORD and pass the same here"
        );
    }
    let admin = login["access_token"]
        .as_str()
        .context("no token")?
        .to_string();
    let run = crate::ids::new_id();
    let mut customers = Vec::new();
    for i in 0..16 {
        let email = format!("load-{run}-{i}@example.com");
        let (status, reg) = json_call(
            client,
            reqwest::Method::POST,
            format!("{api}/auth/register"),
            None,
            Some(json!({"email": email, "password": "load-test-password"})),
        )
        .await?;
        if status != 201 {
            bail!("registering a load customer failed ({status}): is BOOKING_RATE_LIMIT=off?");
        }
        customers.push(
            reg["access_token"]
                .as_str()
                .context("no token")?
                .to_string(),
        );
    }
    let count = match o.scenario {
        Scenario::Spread => o.venues,
        Scenario::Baseline => 0,
        _ => 1,
    };
    let day = json!([["00:00", "24:00"]]);
    let hours =
        json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
    let halls: Vec<Value> = (0..HALLS).map(|i| json!({"id": format!("hall{i}"), "name": format!("Hall {i}"), "capacity": 1000, "mode": "shared"})).collect();
    let venue = json!({"name": "Load venue", "timezone": "Asia/Shanghai", "slot_minutes": 60, "booking_minutes": 60, "opening_hours": hours, "resources": halls});
    let mut venues = Vec::new();
    for chunk in 0..count.div_ceil(50) {
        let batch = (0..50.min(count - chunk * 50)).map(|_| {
            json_call(
                client,
                reqwest::Method::POST,
                format!("{api}/venues"),
                Some(&admin),
                Some(venue.clone()),
            )
        });
        for created in futures::future::join_all(batch).await {
            let (status, v) = created?;
            if status != 201 {
                bail!("creating a venue failed ({status}): {v}");
            }
            venues.push(v["id"].as_str().context("no id")?.to_string());
        }
    }
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").context("zone")?;
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let dates = (1..=DATES)
        .map(|d| {
            today
                .checked_add(jiff::Span::new().days(d))
                .map(|x| x.to_string())
        })
        .collect::<Result<_, _>>()?;
    Ok(Setup {
        api,
        admin,
        customers,
        venues,
        dates,
    })
}

/// Runs the scenario and returns its report (with the check's verdict).
pub async fn run(o: Options) -> anyhow::Result<Report> {
    let client = crate::tls::client()
        .pool_max_idle_per_host(o.clients.max(1))
        .build()?;
    let mut made = setup(&client, &o).await?;
    made.api = format!("{}/api/v1", o.url.trim_end_matches('/'));
    let setup = Arc::new(made);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let fanout = if o.scenario == Scenario::Fanout {
        Some(
            report::Fanout::start(&setup.api, &setup.admin, &setup.venues[0], o.subscribers)
                .await?,
        )
    } else {
        None
    };
    let written_before = o.server_pid.map(write_bytes).transpose()?;
    let cpu_before = o.server_pid.map(cpu_seconds).transpose()?;
    let started = Instant::now();
    let progress = {
        let (done, stop) = (done.clone(), stop.clone());
        tokio::spawn(async move {
            let mut last = 0;
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let now = done.load(Ordering::Relaxed);
                eprintln!(
                    "  {:>5.1} s  {now:>9} requests  {:>8} /s",
                    started.elapsed().as_secs_f64(),
                    now - last
                );
                last = now;
            }
        })
    };
    let mut clients = Vec::new();
    for c in 0..o.clients {
        let (client, setup, done, scenario) =
            (client.clone(), setup.clone(), done.clone(), o.scenario);
        let deadline = started + o.duration;
        // Each client keeps its share of the rate on a fixed schedule.
        let every = o
            .rate
            .map(|r| Duration::from_secs_f64(o.clients as f64 / r.max(0.001)));
        clients.push(tokio::spawn(async move {
            drive(c, scenario, &client, &setup, &done, deadline, every).await
        }));
    }
    let mut tally = Tally::default();
    for c in clients {
        let t = c.await?;
        tally.latencies_ms.extend(t.latencies_ms);
        tally.acknowledged.extend(t.acknowledged);
        for (k, v) in t.statuses {
            *tally.statuses.entry(k).or_default() += v;
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = progress.await;
    let cpu = match (o.server_pid, cpu_before) {
        (Some(pid), Some(before)) => Some(cpu_seconds(pid)? - before),
        _ => None,
    };
    let written = match (o.server_pid, written_before) {
        (Some(pid), Some(before)) => {
            eprintln!(
                "  waiting {} s for the server's checkpoint",
                o.settle.as_secs()
            );
            tokio::time::sleep(o.settle).await;
            Some(write_bytes(pid)?.saturating_sub(before))
        }
        _ => None,
    };
    let deliveries = match fanout {
        Some(f) => Some(f.finish(tally.acknowledged.len()).await),
        None => None,
    };
    let verdict = if o.scenario.writes() {
        Some(
            check::verify(
                &client,
                &setup.api,
                &setup.admin,
                &setup.venues,
                &setup.dates,
                &tally.acknowledged,
            )
            .await?,
        )
    } else {
        None
    };
    let mut report = Report::new(o.scenario, elapsed, tally, deliveries, verdict);
    report.written = written;
    report.server_cpu = cpu;
    Ok(report)
}

/// One client's loop until the deadline.
async fn drive(
    c: usize,
    scenario: Scenario,
    client: &reqwest::Client,
    s: &Setup,
    done: &AtomicU64,
    deadline: Instant,
    every: Option<Duration>,
) -> Tally {
    let mut tally = Tally::default();
    let token = &s.customers[c % s.customers.len()];
    let mut i = c;
    let mut next = tokio::time::Instant::now();
    while Instant::now() < deadline {
        if let Some(every) = every {
            tokio::time::sleep_until(next).await;
            next += every;
        }
        i += 1;
        let write = match scenario {
            Scenario::Spread | Scenario::Hot | Scenario::Fanout => true,
            Scenario::Mixed => i.is_multiple_of(10),
            Scenario::Read | Scenario::Baseline => false,
        };
        let sent = Instant::now();
        let (label, booked) = if scenario == Scenario::Baseline {
            let url = if i.is_multiple_of(2) {
                format!("{}/health", s.api.trim_end_matches("/api/v1"))
            } else {
                format!("{}/me", s.api)
            };
            let r = client.get(url).bearer_auth(token).send().await;
            (
                r.map(|r| r.status().as_u16().to_string())
                    .unwrap_or_else(|e| format!("io: {e}")),
                None,
            )
        } else {
            let venue = &s.venues[i % s.venues.len()];
            let date = &s.dates[(i / 24) % s.dates.len()];
            if write {
                let start = format!("{date}T{:02}:00:00+08:00", i % 24);
                let r = client
                    .post(format!("{}/venues/{venue}/bookings", s.api))
                    .bearer_auth(token)
                    .json(&json!({"start": start, "party_size": 1}))
                    .send()
                    .await;
                match r {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        let label = if status < 300 {
                            status.to_string()
                        } else {
                            format!("{status} {}", body["error"]["code"].as_str().unwrap_or("?"))
                        };
                        let id = body["id"]
                            .as_str()
                            .filter(|_| status == 201)
                            .map(|id| (venue.clone(), id.to_string()));
                        (label, id)
                    }
                    Err(e) => (format!("io: {e}"), None),
                }
            } else {
                let r = client
                    .get(format!(
                        "{}/venues/{venue}/availability?date={date}&party_size=2",
                        s.api
                    ))
                    .send()
                    .await;
                (
                    r.map(|r| r.status().as_u16().to_string())
                        .unwrap_or_else(|e| format!("io: {e}")),
                    None,
                )
            }
        };
        tally
            .latencies_ms
            .push(sent.elapsed().as_secs_f64() * 1000.0);
        *tally.statuses.entry(label).or_default() += 1;
        tally.acknowledged.extend(booked);
        done.fetch_add(1, Ordering::Relaxed);
    }
    tally
}

/// The distinct (venue, date) pairs a set of bookings touched.
pub(crate) fn touched(
    acknowledged: &[(String, String)],
    dates: &[String],
    venues: &[String],
) -> BTreeSet<(String, String)> {
    let used: BTreeSet<&String> = acknowledged.iter().map(|(v, _)| v).collect();
    venues
        .iter()
        .filter(|v| used.contains(v))
        .flat_map(|v| dates.iter().map(move |d| (v.clone(), d.clone())))
        .collect()
}
