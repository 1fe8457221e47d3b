//! Starting the real thing for tests.

use std::sync::Arc;
use std::time::Duration;

use booking_engine::actors::messages::{CreateBooking, GetAvailability};
use booking_engine::actors::{Clock, Engine, EngineOptions, SystemClock, new_id};
use booking_engine::demo;
use booking_engine::domain::{
    self, BookingId, BookingTarget, Caller, SlotAvailability, VenueId, VenueSettings,
};
use booking_engine::settings::Settings;
use booking_engine::startup::Application;
use booking_engine::store::{EngineKind, Store};
use jiff::Timestamp;
use jiff::civil::Time;
use tempfile::TempDir;

/// A running server on port 0 with a fresh store.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub engine: Arc<Engine>,
    _dir: TempDir,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request failed")
    }
}

/// Starts the whole application as `main` does, on port 0.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    let app = Application::build(&settings).expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let engine = app.engine().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        engine,
        _dir: dir,
    }
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

/// A booking message for `user`.
pub fn booking(user: &str, start: Timestamp, party: u32) -> CreateBooking {
    CreateBooking {
        booking: domain::CreateBooking {
            id: BookingId::from(new_id().as_str()),
            caller: Caller::user(user),
            target: BookingTarget::Start {
                start,
                party_size: party,
            },
            note: None,
        },
    }
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
            },
        )
        .await
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
