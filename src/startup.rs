//! Builds the whole application from settings: store, engine, accounts,
//! listener, server. Tests use the same path with port 0 and a temporary
//! data directory.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use anyhow::Context;

use crate::accounts::{self, Accounts, Tokens};
use crate::actors::{Engine, EngineOptions};
use crate::clock::{Clock, SystemClock};
use crate::http::{self, AppState, Idempotency, Limits, Zones};
use crate::settings::Settings;
use crate::store::Store;

/// A built, not yet running, application.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
}

impl Application {
    /// Opens the store, starts the engine, ensures the configured admin and
    /// binds the listener. Call inside an actix system.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// As [`Application::build`] with another clock (tests).
    pub async fn build_with_clock(
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        settings.check()?;
        if settings.store.engine == crate::store::EngineKind::Nats {
            let store = crate::store::NatsStore::open(
                &settings.nats,
                &settings.data_dir,
                settings.store.options(),
            )
            .with_context(|| format!("Failed to open the NATS store at {}", settings.nats.url))?;
            return Self::build_with_store(settings, clock, store).await;
        }
        let store = Store::open_with(
            settings.store.engine,
            &settings.data_dir,
            settings.store.options(),
        )
        .with_context(|| {
            format!(
                "Failed to open the store in {}",
                settings.data_dir.display()
            )
        })?;
        Self::build_with_store(settings, clock, store).await
    }

    /// As [`Application::build_with_clock`] on a store opened by the caller
    /// (tests wrap the real engine in `store::faults`).
    pub async fn build_with_store(
        settings: &Settings,
        clock: Arc<dyn Clock>,
        store: impl crate::store::Storage,
    ) -> anyhow::Result<Self> {
        settings.check()?;
        let options = EngineOptions {
            hold_ttl_seconds: settings.hold_ttl_seconds,
            idle_after: Duration::from_secs(settings.venues.idle_seconds),
            arbiters: settings.venue_threads(),
            event_max_age: Duration::from_secs(u64::from(settings.store.keep_days) * 24 * 3600),
            retain_finished: Duration::from_secs(settings.venues.retain_finished_hours * 3600),
            offer_seconds: settings.venues.offer_seconds.filter(|s| *s > 0),
            ..EngineOptions::default()
        };
        let engine = Arc::new(Engine::start(store, clock.clone(), options));
        let secret =
            accounts::load_or_create_secret(settings.jwt_secret.as_deref(), &settings.data_dir)?;
        let tokens = Tokens::new(&secret, u64::from(settings.access_token_minutes) * 60);
        let accounts = Accounts::new(
            engine.store().clone(),
            engine.writer().clone(),
            tokens,
            clock,
        )
        .with_wechat(accounts::wechat::WeChat::new(settings.wechat.clone())?);
        if let (Some(email), Some(password)) = (&settings.admin_email, &settings.admin_password) {
            let admin = accounts
                .ensure_admin(email, password)
                .await
                .context("Failed to create the configured admin")?;
            tracing::info!(user_id = %admin.id, email = admin.email.as_deref().unwrap_or(""), "admin ready");
        }
        // The outbox asks accounts for openids; accounts live in the state
        // made below, so it reaches them through a weak cell set after.
        let cell = Arc::new(std::sync::OnceLock::<std::sync::Weak<AppState>>::new());
        let lookup = cell.clone();
        let openid = Arc::new(move |user: &crate::domain::UserId| {
            let state = lookup.get()?.upgrade()?;
            state.accounts.user(user).ok().flatten()?.openid
        });
        let outbox = crate::outbox::Outbox::start(
            engine.clone(),
            settings.webhooks.clone(),
            &settings.wechat,
            settings.env == crate::settings::Environment::Production,
            Arc::new(http::ws::webhook_body),
            openid,
        )
        .await
        .context("Failed to start the outbox")?;
        let state = Arc::new(AppState {
            engine,
            accounts,
            outbox,
            zones: Arc::new(Zones::default()),
            idempotency: Idempotency::default(),
            limits: settings.rate_limit.then(|| Limits::new(&settings.limits)),
            connections: http::Connections::default(),
            connection_cap: settings
                .rate_limit
                .then_some(settings.limits.connections_per_address),
            trusted_proxies: settings.trusted_networks()?,
            body_timeout: Duration::from_secs(settings.limits.body_timeout_seconds.max(1)),
            cors_origins: settings.cors_origins.clone(),
            hub: Arc::new(http::ws::Hub::default()),
            groups: Arc::new(http::ws::Groups::default()),
            ws_queue: settings.ws.queue,
            shutdown: tokio::sync::watch::channel(false).0,
            backup_dir: settings.data_dir.clone(),
            public_url: settings.public_url.clone(),
        });
        let _ = cell.set(Arc::downgrade(&state));
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("Failed to listen on {}", settings.listen))?;
        widen_backlog(&listener);
        let local = listener.local_addr()?;
        let port = local.port();
        if state.engine.clustered() {
            let url = settings.nats.advertise.clone().unwrap_or_else(|| {
                let ip = match local.ip() {
                    ip if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
                    ip => ip,
                };
                format!("http://{}", std::net::SocketAddr::new(ip, port))
            });
            tracing::info!(url = %url, "other nodes send requests for this node's venues to");
            state.engine.serve_at(&url);
        }
        let server = http::serve(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The engine, for setup done before serving (the demo venue).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.state.engine
    }

    /// The shared state (accounts, engine), for setup done before serving.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(stop_signal()).await
    }

    /// Serves until `stop` resolves, then: WebSocket sessions are told to
    /// close (1001), the server stops accepting and finishes in-flight
    /// requests, and the engine stores everything it applied.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let engine = self.state.engine.clone();
        let swept = self.state.clone();
        actix_web::rt::spawn(async move {
            let mut every = actix_web::rt::time::interval(SWEEP_EVERY);
            loop {
                every.tick().await;
                sweep(&swept).await;
            }
        });
        let warm = engine.clone();
        actix_web::rt::spawn(async move {
            let started = std::time::Instant::now();
            match warm.warm_up().await {
                Ok(n) => tracing::info!(
                    venues = n,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "venues loaded"
                ),
                Err(e) => tracing::error!(error = %e, "loading venues failed"),
            }
        });
        let handle = self.server.handle();
        let mut server = actix_web::rt::spawn(self.server);
        tokio::select! {
            done = &mut server => done.context("The HTTP server panicked")?.context("The HTTP server failed")?,
            () = stop => {
                tracing::info!("shutting down");
                self.state.shutdown.send_replace(true);
                handle.stop(true).await;
                server.await.context("The HTTP server panicked")?.context("The HTTP server failed")?;
            }
        }
        engine.shutdown().await;
        tracing::info!("stopped; everything acknowledged is stored");
        Ok(())
    }
}

/// How often expired records (idempotency responses, refresh tokens,
/// revoked logins) are deleted: their lifetimes are a day and a month, so
/// an hour keeps them within a few percent of it.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Deletes what has expired; a failure is logged and retried next time.
pub async fn sweep(state: &AppState) {
    let now = state.engine.now();
    match http::sweep_idempotency(&state.engine, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(records = n, "swept expired idempotency records"),
        Err(e) => tracing::warn!(error = %e, "sweeping idempotency records failed"),
    }
    match state.accounts.sweep(&state.engine).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(records = n, "swept expired refresh tokens and logins"),
        Err(e) => tracing::warn!(error = %e, "sweeping refresh tokens failed"),
    }
}

/// Makes every file and directory this process creates from now on
/// private to its owner (umask 077): the engines create files of their own
/// (redb's, sled's snapshots) that no mode we pass would reach.
pub fn private_files() {
    #[cfg(unix)]
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Makes glibc give large blocks back to the system when they are freed.
/// By default its mmap threshold rises to the size of the largest block
/// freed, so the 19 MiB of every password hash then stay in the heap of
/// each thread that hashed (measured: 1.1 GiB after 300 logins).
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called once at
    // start, before any thread allocates concurrently.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Raises the open-files soft limit to the hard limit: every WebSocket is
/// a file, and the usual soft limit (1,024) would cap a server that can
/// hold tens of thousands. Returns (before, now); logged at start.
pub fn raise_open_files() -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit read and write the struct we own;
        // they change nothing but this process's own limit.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            let before = limit.rlim_cur;
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Some((before, before));
            }
            Some((before, limit.rlim_cur))
        }
    }
    #[cfg(not(unix))]
    None
}

/// Connections the kernel completes before the server accepts them.
/// `std` listens with 128: a burst of reconnecting clients (every tablet and
/// phone after a restart, or the push bench's 250 at once) overflows that,
/// and each dropped SYN costs its client a 1 s, then 3 s, retransmission.
/// The kernel caps it at `net.core.somaxconn` (4,096 by default).
const LISTEN_BACKLOG: libc::c_int = 4096;

/// Listens again with `LISTEN_BACKLOG`: on Linux, `listen` on a listening
/// socket only changes its queue length, so the bound socket stays as is.
fn widen_backlog(listener: &TcpListener) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is the listener's own, alive for the call;
        // listen changes nothing but its queue length.
        if unsafe { libc::listen(listener.as_raw_fd(), LISTEN_BACKLOG) } != 0 {
            tracing::warn!(
                error = %std::io::Error::last_os_error(),
                "could not widen the listen queue; keeping the default"
            );
        }
    }
}

/// SIGINT (Ctrl-C) or SIGTERM (container stop).
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
