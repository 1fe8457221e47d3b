//! Starting the real thing for tests.

use std::sync::Arc;
use std::time::Duration;

use booking_engine::actors::messages::GetAvailability;
use booking_engine::actors::{Engine, EngineOptions};
use booking_engine::clock::{Clock, SystemClock};
use booking_engine::demo;
use booking_engine::domain::{
    self, BookingId, BookingTarget, Caller, SlotAvailability, VenueId, VenueSettings,
};
use booking_engine::ids::new_id;
use booking_engine::settings::Settings;
use booking_engine::startup::Application;
use booking_engine::store::{EngineKind, Store};
use jiff::Timestamp;
use jiff::civil::Time;
use serde_json::{Value, json};
use tempfile::TempDir;

/// A running server on port 0 with a fresh store and an admin.
pub struct TestApp {
    pub state: Arc<booking_engine::http::AppState>,
    /// Resolving it shuts the app down as SIGTERM would.
    pub stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    pub address: String,
    pub client: reqwest::Client,
    pub engine: Arc<Engine>,
    pub admin: String,
    _dir: TempDir,
}

pub const ADMIN_EMAIL: &str = "admin@test.example";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Settings for a test server: port 0, the given data dir, an admin, no
/// rate limits (tests that want them turn them on).
pub fn test_settings(dir: &std::path::Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        admin_email: Some(ADMIN_EMAIL.into()),
        admin_password: Some(ADMIN_PASSWORD.into()),
        rate_limit: false,
        ..Settings::default()
    }
}

/// Starts the whole application as `main` does, on port 0.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As `spawn_app`, with settings adjusted first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    spawn_app_in(dir, adjust).await
}

/// A clock the test moves by hand.
pub struct ManualClock(std::sync::Mutex<Timestamp>);

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(std::sync::Mutex::new(Timestamp::now())))
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut now = self.0.lock().unwrap();
        *now = now.checked_add(by).unwrap();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// Starts the application on an existing data directory.
pub async fn spawn_app_in(dir: TempDir, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(dir, adjust, Arc::new(SystemClock)).await
}

/// Starts the application with a clock of the test's own.
pub async fn spawn_app_with_clock(clock: Arc<dyn Clock>) -> TestApp {
    spawn_app_on(tempfile::tempdir().unwrap(), |_| {}, clock).await
}

pub async fn spawn_app_on(
    dir: TempDir,
    adjust: impl FnOnce(&mut Settings),
    clock: Arc<dyn Clock>,
) -> TestApp {
    let mut settings = test_settings(dir.path());
    adjust(&mut settings);
    let store = Store::open(
        settings.store.engine,
        &settings.data_dir,
        settings.store.keep_events,
    )
    .unwrap();
    spawn_app_on_store(dir, settings, clock, store).await
}

/// Starts the application on a store of the test's making (a faulty disk).
pub async fn spawn_app_on_store(
    dir: TempDir,
    settings: Settings,
    clock: Arc<dyn Clock>,
    store: Store,
) -> TestApp {
    let app = Application::build_with_store(&settings, clock, store)
        .await
        .expect("the app builds");
    let address = format!("http://127.0.0.1:{}/api/v1", app.port());
    let engine = app.engine().clone();
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    actix_web::rt::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let client = booking_engine::tls::client().build().unwrap();
    let mut test = TestApp {
        state,
        stop: std::sync::Mutex::new(Some(stop)),
        address,
        client,
        engine,
        admin: String::new(),
        _dir: dir,
    };
    let login = test
        .post(
            "/auth/login",
            None,
            &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(login.status().as_u16(), 200);
    test.admin = body(login).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    test
}

/// A response's JSON body.
pub async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

impl TestApp {
    /// The server's data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Shuts the app down as SIGTERM would.
    pub fn shut_down(&self) {
        if let Some(stop) = self.stop.lock().unwrap().take() {
            let _ = stop.send(());
        }
    }

    /// The server's root (for /health, /ready).
    pub fn root(&self) -> String {
        self.address.trim_end_matches("/api/v1").to_string()
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        json: Option<&Value>,
    ) -> reqwest::Response {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.address)
        };
        let mut req = self.client.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(j) = json {
            req = req.json(j);
        }
        req.send().await.expect("request failed")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path, token, None)
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, json: &Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path, token, Some(json))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, json: &Value) -> reqwest::Response {
        self.request(reqwest::Method::PATCH, path, token, Some(json))
            .await
    }

    /// Registers a customer; returns (access token, user id).
    pub async fn register(&self, email: &str) -> (String, String) {
        let r = self
            .post(
                "/auth/register",
                None,
                &json!({"email": email, "password": "password-123", "name": email}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201, "register {email}");
        let b = body(r).await;
        (
            b["access_token"].as_str().unwrap().to_string(),
            b["user"]["id"].as_str().unwrap().to_string(),
        )
    }

    /// Makes `who` staff of `venue` through the admin route.
    pub async fn appoint(&self, venue: &str, who: &str) {
        let r = self
            .request(
                reqwest::Method::PUT,
                &format!("/venues/{venue}/staff/{who}"),
                Some(&self.admin),
                None,
            )
            .await;
        assert_eq!(r.status().as_u16(), 204);
    }

    /// Creates a venue as the admin from a JSON body; returns its id.
    pub async fn create_venue(&self, venue: &Value) -> String {
        let r = self.post("/venues", Some(&self.admin), venue).await;
        assert_eq!(r.status().as_u16(), 201);
        body(r).await["id"].as_str().unwrap().to_string()
    }
}

/// `n` exclusive tables for four, `t1` to `tn`, as a `resources` body.
pub fn numbered_tables(n: usize) -> Value {
    let list: Vec<Value> = (1..=n)
        .map(|i| json!({"id": format!("t{i}"), "name": format!("T{i}"), "capacity": 4, "mode": "exclusive"}))
        .collect();
    Value::Array(list)
}

/// The demo restaurant as a `POST /venues` body, with the given resources.
pub fn restaurant(resources: Value) -> Value {
    let day = json!([["11:00", "14:00"], ["17:00", "22:00"]]);
    json!({
        "name": "Lotus Garden", "kind": "restaurant", "timezone": "Asia/Shanghai",
        "slot_minutes": 15, "booking_minutes": 90, "horizon_days": 60, "min_notice_minutes": 0, "auto_confirm": true,
        "opening_hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day},
        "closures": [],
        "resources": resources,
    })
}

/// 18:00 in Shanghai `days` days from now, as API.md writes instants.
pub fn evening_text(days: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let date = Timestamp::now()
        .to_zoned(tz)
        .date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    format!("{date}T18:00:00+08:00")
}

/// An engine on a fresh store of the given kind.
pub struct TestEngine {
    pub engine: Engine,
    pub dir: TempDir,
}

/// Engine options for tests: venues on `arbiters` threads (0 = the test's
/// own, for paused time), no passivation unless asked.
pub fn options(arbiters: usize) -> EngineOptions {
    EngineOptions {
        arbiters,
        idle_after: Duration::from_secs(24 * 3600),
        ..EngineOptions::default()
    }
}

pub fn start_engine(kind: EngineKind, options: EngineOptions) -> TestEngine {
    start_engine_with(kind, options, Arc::new(SystemClock))
}

pub fn start_engine_with(
    kind: EngineKind,
    options: EngineOptions,
    clock: Arc<dyn Clock>,
) -> TestEngine {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(kind, dir.path(), 10_000).unwrap();
    TestEngine {
        engine: Engine::start(store, clock, options),
        dir,
    }
}

/// The demo restaurant with one exclusive table of four only.
pub fn one_table() -> VenueSettings {
    demo::tables_settings(1)
}

/// The demo restaurant with only a shared bar of `capacity`.
pub fn bar_only(capacity: u32) -> VenueSettings {
    let mut s = demo::restaurant_settings(Vec::new());
    s.resources.retain(|r| r.id.as_str() == "bar");
    s.resources[0].capacity = capacity;
    s
}

/// 18:00 in Shanghai, `days` local days after `now`.
pub fn evening(now: Timestamp, days: i64) -> Timestamp {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let date = now
        .to_zoned(tz.clone())
        .date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    date.to_datetime(Time::constant(18, 0, 0, 0))
        .to_zoned(tz)
        .unwrap()
        .timestamp()
}

/// A booking command for `user`.
pub fn booking(user: &str, start: Timestamp, party: u32) -> domain::Command {
    domain::Command::CreateBooking(domain::CreateBooking {
        guest: Default::default(),
        account: Default::default(),
        channel: Default::default(),
        service_id: None,
        override_pacing: false,
        id: BookingId::from(new_id().as_str()),
        caller: Caller::user(user),
        target: BookingTarget::Start {
            start,
            party_size: party,
        },
        note: None,
    })
}

/// The availability of the (Shanghai) local date of `start` for a party of two.
pub async fn availability_on_day_of(
    engine: &Engine,
    venue: &VenueId,
    start: Timestamp,
) -> Vec<SlotAvailability> {
    let date = start
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    engine
        .ask(
            venue,
            GetAvailability {
                date,
                party_size: 2,
                service_id: None,
            },
        )
        .await
        .unwrap()
        .unwrap()
        .0
}

/// Creates a venue and returns its id.
pub async fn venue(engine: &Engine, settings: VenueSettings) -> VenueId {
    engine
        .create_venue(settings)
        .await
        .expect("the venue is created")
        .0
}

/// Opens the store of a data directory whose last engine was just dropped.
/// sled lets go of its directory lock from its flusher thread a moment
/// after the last handle goes (later on a busy machine): wait for it.
pub fn reopen(kind: EngineKind, dir: &std::path::Path) -> Store {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match Store::open(kind, dir, 10_000) {
            Err(e) if e.to_string().contains("lock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other.unwrap(),
        }
    }
}
