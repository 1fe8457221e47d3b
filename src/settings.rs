//! Typed settings: `config/base.toml`, then `config/{local|production}.toml`,
//! then environment variables. The names of API.md's Operations table are
//! fixed (`BOOKING_LISTEN`, `BOOKING_DATA_DIR`, …); nested settings use a
//! double underscore (`BOOKING_STORE__ENGINE=sled`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Deserializer};

use crate::store::EngineKind;

/// Where the server runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Readable logs, a generated secret is fine.
    #[default]
    Local,
    /// JSON logs; refuses to start without a real secret.
    Production,
}

/// All settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `BOOKING_LISTEN`
    pub listen: String,
    /// `BOOKING_DATA_DIR`
    pub data_dir: PathBuf,
    /// `BOOKING_ENV`
    pub env: Environment,
    /// `BOOKING_JWT_SECRET`; required in production.
    pub jwt_secret: Option<String>,
    /// `BOOKING_ADMIN_EMAIL`
    pub admin_email: Option<String>,
    /// `BOOKING_ADMIN_PASSWORD`
    pub admin_password: Option<String>,
    /// `BOOKING_HOLD_TTL_SECONDS`
    pub hold_ttl_seconds: u32,
    /// `BOOKING_PUBLIC_URL`: the server's public origin (`https://...`),
    /// for absolute calendar-feed URLs.
    pub public_url: Option<String>,
    /// `BOOKING_RATE_LIMIT`: `off` disables rate limiting (load tests).
    #[serde(deserialize_with = "on_off")]
    pub rate_limit: bool,
    pub store: StoreSettings,
    pub venues: VenueSettings,
    pub limits: LimitSettings,
    /// Browser origins allowed to call the API (`*` for any); none by
    /// default. `BOOKING_CORS_ORIGINS` takes them comma-separated.
    #[serde(deserialize_with = "comma_list")]
    pub cors_origins: Vec<String>,
    /// Lifetime of an access token (API.md: 15 minutes by default).
    pub access_token_minutes: u32,
    pub ws: WsSettings,
    /// `BOOKING_TRUSTED_PROXIES`: addresses or CIDRs of reverse proxies
    /// whose `X-Forwarded-For` is believed; none by default.
    #[serde(deserialize_with = "comma_list")]
    pub trusted_proxies: Vec<String>,
    pub wechat: WeChatSettings,
    pub webhooks: WebhookSettings,
    pub nats: crate::store::nats::NatsSettings,
}

/// Webhook deliveries (API v1.1 §7): `BOOKING_WEBHOOKS__*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// Lets production deliver to loopback and private addresses (the
    /// address check is off everywhere but production anyway).
    pub allow_private: bool,
    /// The first retry's wait; each next one doubles, to at most an hour.
    pub retry_base_ms: u64,
    /// How long a receiver may take to answer (the contract's 10 s).
    pub timeout_ms: u64,
    /// Deliveries in flight at once, over every endpoint.
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_base_ms: 1000,
            timeout_ms: 10_000,
            concurrency: 32,
        }
    }
}

impl WebhookSettings {
    pub fn retry_base(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.retry_base_ms.max(1))
    }

    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.timeout_ms.clamp(1, 60_000))
    }
}

/// WeChat sign-in (API v1.1 §1): `BOOKING_WECHAT__APPID`,
/// `BOOKING_WECHAT__SECRET`, `BOOKING_WECHAT__API_BASE`. Without an appid
/// and a secret, `POST /auth/wechat` answers 503 saying so.
#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct WeChatSettings {
    pub appid: Option<String>,
    pub secret: Option<String>,
    /// Tests point it at a local fake; production refuses anything but https.
    pub api_base: String,
}

impl Default for WeChatSettings {
    fn default() -> Self {
        Self {
            appid: None,
            secret: None,
            api_base: "https://api.weixin.qq.com".into(),
        }
    }
}

/// The app secret never reaches a log, even through `{:?}`.
impl std::fmt::Debug for WeChatSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeChatSettings")
            .field("appid", &self.appid)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// Live push.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct WsSettings {
    /// Frames a client may fall behind before it is disconnected (1013).
    /// 1,024 rides out a burst of a busy venue on a phone's connection.
    pub queue: usize,
}

impl Default for WsSettings {
    fn default() -> Self {
        Self { queue: 1024 }
    }
}

/// Rate limits (API.md's defaults).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct LimitSettings {
    /// Requests per second per user (or per address without a token)...
    pub per_second: u32,
    /// ...with bursts of this many.
    pub burst: u32,
    /// `POST /auth/*` per minute per address.
    pub auth_per_minute: u32,
    /// Open connections per client address; more are answered 429 and
    /// closed. 64 (API issue "live push at scale") leaves room for an
    /// office behind one NAT (a tablet and a few phones each) while
    /// keeping one host from holding hundreds of sockets.
    pub connections_per_address: usize,
    /// Seconds a request body may take to arrive in full (64 KiB at 2G
    /// speeds takes a few; a trickle of a byte every few seconds is an attack).
    pub body_timeout_seconds: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            per_second: 50,
            burst: 100,
            auth_per_minute: 10,
            connections_per_address: 64,
            body_timeout_seconds: 15,
        }
    }
}

/// The embedded store.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct StoreSettings {
    /// `redb` (default, fsync on commit) or `sled`.
    pub engine: EngineKind,
    /// Events kept per venue for WebSocket replay...
    pub keep_events: u64,
    /// ...as long as they are at most this many days old.
    pub keep_days: u32,
    /// Seconds between checkpoints (the engine synced, the log trimmed).
    /// Longer: fewer bytes written per booking, more log to replay after
    /// a crash.
    pub checkpoint_seconds: u64,
    /// Production runs on sled only with this set: its flush survives a
    /// killed process, not a power cut.
    pub sled_accept_power_loss: bool,
}

/// Venue actors.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct VenueSettings {
    /// Seconds without requests after which a venue leaves memory.
    pub idle_seconds: u64,
    /// Threads running venue actors; 0 picks the number of cores.
    pub threads: usize,
    /// Hours after its end a finished booking or ended hold stays in venue
    /// memory; it stays readable from the store after that.
    pub retain_finished_hours: u64,
    /// `BOOKING_VENUES__OFFER_SECONDS`: the lifetime of every waitlist
    /// offer, overriding venues' `waitlist_offer_minutes` (tests and
    /// demos; refused in production).
    pub offer_seconds: Option<u32>,
}

/// The shortest admin password production accepts.
pub const MIN_PRODUCTION_ADMIN_PASSWORD: usize = 12;

/// The shortest secret accepted: 256 bits for HS256.
pub const MIN_SECRET_BYTES: usize = 32;

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            env: Environment::Local,
            jwt_secret: None,
            admin_email: None,
            admin_password: None,
            hold_ttl_seconds: 300,
            public_url: None,
            rate_limit: true,
            store: StoreSettings::default(),
            venues: VenueSettings::default(),
            limits: LimitSettings::default(),
            cors_origins: Vec::new(),
            access_token_minutes: 15,
            ws: WsSettings::default(),
            trusted_proxies: Vec::new(),
            wechat: WeChatSettings::default(),
            webhooks: WebhookSettings::default(),
            nats: crate::store::nats::NatsSettings::default(),
        }
    }
}

impl StoreSettings {
    /// How the store is opened with these settings.
    pub fn options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            keep_events: self.keep_events,
            checkpoint_every: std::time::Duration::from_secs(self.checkpoint_seconds),
            faults: None,
        }
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        // 10,000 events or 7 days: API.md's default replay window.
        Self {
            engine: EngineKind::Redb,
            keep_events: 10_000,
            keep_days: 7,
            checkpoint_seconds: 5,
            sled_accept_power_loss: false,
        }
    }
}

impl Default for VenueSettings {
    fn default() -> Self {
        Self {
            idle_seconds: 600,
            threads: 0,
            retain_finished_hours: 48,
            offer_seconds: None,
        }
    }
}

/// A list from a TOML array or a comma-separated string (environment).
fn comma_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::List(items) => items,
        Raw::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    })
}

fn on_off<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Bool(b) => Ok(b),
        Raw::Text(t) => match t.to_ascii_lowercase().as_str() {
            "on" | "true" | "1" => Ok(true),
            "off" | "false" | "0" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "expected on or off, got {other:?}"
            ))),
        },
    }
}

impl Settings {
    /// Loads from `config_dir` and the process environment, then checks.
    pub fn load(config_dir: &Path) -> anyhow::Result<Self> {
        let vars = std::env::vars()
            .filter(|(k, _)| k.starts_with("BOOKING_"))
            .collect();
        Self::load_from(config_dir, vars)
    }

    /// Loads from `config_dir` and the given `BOOKING_*` variables, then checks.
    pub fn load_from(config_dir: &Path, vars: HashMap<String, String>) -> anyhow::Result<Self> {
        let env_name = vars
            .get("BOOKING_ENV")
            .cloned()
            .unwrap_or_else(|| "local".into());
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from(config_dir.join("base.toml")).required(false))
            .add_source(
                config::File::from(config_dir.join(format!("{env_name}.toml"))).required(false),
            )
            .add_source(
                config::Environment::with_prefix("BOOKING")
                    .prefix_separator("_")
                    .separator("__")
                    // No `try_parsing`: it would turn a numeric-looking
                    // secret into a float. Typed fields convert on their own.
                    .source(Some(vars.into_iter().collect())),
            )
            .build()
            .context("Failed to read the configuration")?
            .try_deserialize()
            .context("Failed to understand the configuration")?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings the server must not run with, saying which.
    pub fn check(&self) -> anyhow::Result<()> {
        // A short secret is guessable in any mode; unset, local mode makes
        // a random one.
        if let Some(secret) = self.jwt_secret.as_deref().filter(|s| !s.is_empty())
            && secret.len() < MIN_SECRET_BYTES
        {
            anyhow::bail!(
                "BOOKING_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {}); refusing to start",
                secret.len()
            );
        }
        if self.env == Environment::Production {
            self.check_production()?;
        }
        self.trusted_networks()?;
        anyhow::ensure!(
            self.hold_ttl_seconds > 0,
            "BOOKING_HOLD_TTL_SECONDS must be positive"
        );
        anyhow::ensure!(
            self.store.keep_events > 0,
            "store.keep_events must be positive"
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.store.checkpoint_seconds),
            "store.checkpoint_seconds must be between 1 and 3600"
        );
        Ok(())
    }

    /// API v1.1 §10: production runs only with real protections on.
    fn check_production(&self) -> anyhow::Result<()> {
        let refuse = |why: &str| anyhow::anyhow!("BOOKING_ENV=production {why}; refusing to start");
        if self.jwt_secret.as_deref().is_none_or(str::is_empty) {
            return Err(refuse(&format!(
                "needs BOOKING_JWT_SECRET of at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        if !self.rate_limit {
            return Err(refuse(
                "needs rate limits (BOOKING_RATE_LIMIT=off is for load tests)",
            ));
        }
        if self.venues.offer_seconds.is_some() {
            return Err(refuse(
                "keeps venues' own offer lifetimes (BOOKING_VENUES__OFFER_SECONDS is for tests)",
            ));
        }
        if self.cors_origins.iter().any(|o| o.trim() == "*") {
            return Err(refuse(
                "does not allow BOOKING_CORS_ORIGINS=*: name the origins",
            ));
        }
        if let Some(pw) = &self.admin_password
            && pw.chars().count() < MIN_PRODUCTION_ADMIN_PASSWORD
        {
            return Err(refuse(&format!(
                "needs BOOKING_ADMIN_PASSWORD of at least {MIN_PRODUCTION_ADMIN_PASSWORD} characters"
            )));
        }
        if !self.wechat.api_base.starts_with("https://") {
            return Err(refuse(
                "needs an https BOOKING_WECHAT__API_BASE (the app secret travels in it)",
            ));
        }
        if self.store.engine == EngineKind::Sled && !self.store.sled_accept_power_loss {
            return Err(refuse(
                "does not run on sled (its flush does not survive a power cut) unless \
                 BOOKING_STORE__SLED_ACCEPT_POWER_LOSS=true",
            ));
        }
        Ok(())
    }

    /// The trusted proxies as networks (a bare address is a /32 or /128).
    pub fn trusted_networks(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|text| {
                text.parse::<ipnet::IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "BOOKING_TRUSTED_PROXIES: {text:?} is not an address or a CIDR"
                        )
                    })
            })
            .collect()
    }

    /// Threads for venue actors.
    pub fn venue_threads(&self) -> usize {
        match self.venues.threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_without_a_real_secret_refuses_to_start() {
        let mut s = Settings {
            env: Environment::Production,
            ..Settings::default()
        };
        assert!(s.check().is_err());
        s.jwt_secret = Some("short".into());
        assert!(s.check().is_err());
        s.jwt_secret = Some("x".repeat(MIN_SECRET_BYTES));
        assert!(s.check().is_ok());
        assert!(Settings::default().check().is_ok());
    }

    #[test]
    fn production_refuses_each_unsafe_setting_and_says_which() {
        let safe = Settings {
            env: Environment::Production,
            jwt_secret: Some("x".repeat(MIN_SECRET_BYTES)),
            admin_email: Some("root@example.com".into()),
            admin_password: Some("a-long-password".into()),
            ..Settings::default()
        };
        safe.check().unwrap();
        type Breaks = fn(&mut Settings);
        let cases: [(&str, Breaks); 6] = [
            ("BOOKING_WECHAT__API_BASE", |s| {
                s.wechat.api_base = "http://api.weixin.qq.com".into()
            }),
            ("BOOKING_RATE_LIMIT", |s| s.rate_limit = false),
            ("BOOKING_CORS_ORIGINS", |s| {
                s.cors_origins = vec!["*".into()]
            }),
            ("BOOKING_ADMIN_PASSWORD", |s| {
                s.admin_password = Some("eleven-char".into())
            }),
            ("SLED_ACCEPT_POWER_LOSS", |s| {
                s.store.engine = EngineKind::Sled
            }),
            ("BOOKING_JWT_SECRET", |s| s.jwt_secret = None),
        ];
        for (named, break_it) in cases {
            let mut s = safe.clone();
            break_it(&mut s);
            let err = format!("{:#}", s.check().unwrap_err());
            assert!(err.contains(named), "{named}: {err}");
        }
        let mut sled = safe.clone();
        sled.store.engine = EngineKind::Sled;
        sled.store.sled_accept_power_loss = true;
        sled.check().unwrap();
        // Local mode allows all of these, but not a short secret.
        let mut local = Settings {
            rate_limit: false,
            cors_origins: vec!["*".into()],
            admin_password: Some("short-pw".into()),
            ..Settings::default()
        };
        local.check().unwrap();
        local.jwt_secret = Some("x".into());
        let err = format!("{:#}", local.check().unwrap_err());
        assert!(err.contains("BOOKING_JWT_SECRET"), "{err}");
        local.jwt_secret = None;
        local.trusted_proxies = vec!["10.0.0.0/8".into(), "192.0.2.7".into()];
        local.check().unwrap();
        local.trusted_proxies = vec!["proxy.local".into()];
        assert!(local.check().is_err());
    }

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_contracts_variables_override_the_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let s = Settings::load_from(
            &dir,
            vars(&[
                ("BOOKING_LISTEN", "127.0.0.1:9999"),
                ("BOOKING_DATA_DIR", "/tmp/elsewhere"),
                ("BOOKING_HOLD_TTL_SECONDS", "42"),
                ("BOOKING_RATE_LIMIT", "off"),
                ("BOOKING_JWT_SECRET", "12345678901234567890123456789012345"),
                ("BOOKING_STORE__ENGINE", "sled"),
                ("BOOKING_VENUES__IDLE_SECONDS", "5"),
                (
                    "BOOKING_CORS_ORIGINS",
                    "https://a.example, https://b.example",
                ),
                ("BOOKING_WECHAT__APPID", "wx0123456789abcdef"),
                ("BOOKING_WECHAT__SECRET", "app-secret-value"),
                ("BOOKING_WECHAT__API_BASE", "http://127.0.0.1:1"),
            ]),
        )
        .unwrap();
        assert_eq!(s.listen, "127.0.0.1:9999");
        assert_eq!(s.data_dir, PathBuf::from("/tmp/elsewhere"));
        assert_eq!(s.hold_ttl_seconds, 42);
        assert!(!s.rate_limit);
        assert_eq!(
            s.jwt_secret.as_deref(),
            Some("12345678901234567890123456789012345")
        );
        assert_eq!(s.store.engine, EngineKind::Sled);
        assert_eq!(s.venues.idle_seconds, 5);
        assert_eq!(s.cors_origins, ["https://a.example", "https://b.example"]);
        assert_eq!(s.env, Environment::Local);
        assert_eq!(s.wechat.appid.as_deref(), Some("wx0123456789abcdef"));
        assert_eq!(s.wechat.api_base, "http://127.0.0.1:1");
        // The app secret is read, and never shown by Debug.
        assert_eq!(s.wechat.secret.as_deref(), Some("app-secret-value"));
        assert!(!format!("{s:?}").contains("app-secret-value"));
    }

    #[test]
    fn production_from_the_environment_needs_a_secret() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let err = Settings::load_from(&dir, vars(&[("BOOKING_ENV", "production")])).unwrap_err();
        assert!(format!("{err:#}").contains("BOOKING_JWT_SECRET"), "{err:#}");
        let secret = "s".repeat(MIN_SECRET_BYTES);
        let s = Settings::load_from(
            &dir,
            vars(&[
                ("BOOKING_ENV", "production"),
                ("BOOKING_JWT_SECRET", &secret),
            ]),
        )
        .unwrap();
        assert_eq!(
            (s.env, s.listen.as_str()),
            (Environment::Production, "0.0.0.0:8080")
        );
    }

    #[test]
    fn the_shipped_config_files_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        for file in ["base.toml", "local.toml", "production.toml"] {
            let s: Settings = config::Config::builder()
                .add_source(config::File::from(dir.join(file)))
                .build()
                .unwrap()
                .try_deserialize()
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(s.hold_ttl_seconds, 300, "{file}");
        }
    }

    #[test]
    fn the_cluster_is_chosen_and_addressed_by_variables() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let s = Settings::load_from(
            &dir,
            vars(&[
                ("BOOKING_STORE__ENGINE", "nats"),
                (
                    "BOOKING_NATS__URL",
                    "nats://10.0.0.1:4222, nats://10.0.0.2:4222,",
                ),
                ("BOOKING_NATS__REPLICAS", "3"),
                ("BOOKING_NATS__ADVERTISE", "http://node-2.internal:8080"),
            ]),
        )
        .unwrap();
        assert_eq!(s.store.engine, EngineKind::Nats);
        assert_eq!(
            s.nats.advertise.as_deref(),
            Some("http://node-2.internal:8080")
        );
        assert_eq!(
            s.nats.servers(),
            ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
        );
        assert_eq!((s.nats.replicas, s.nats.stream.as_str()), (3, "BOOKING"));
    }
}
