//! `booking-engine`: serves; `--demo` first creates the demo restaurant and
//! demo accounts on an empty store and prints how to use them.

use std::path::PathBuf;

use anyhow::Context;
use booking_engine::demo;
use booking_engine::domain::{Caller, VenueSettings};
use booking_engine::settings::Settings;
use booking_engine::startup::Application;
use booking_engine::telemetry;
use clap::{Parser, Subcommand};

/// The booking engine: serves the API, the live push and the tablet.
///
/// Settings come from config/ (or BOOKING_CONFIG_DIR) and BOOKING_*
/// variables; see README.md.
#[derive(Parser)]
#[command(name = "booking-engine", version, about)]
struct Cli {
    /// On an empty store, create a demo restaurant, a staff and a customer
    /// account, print them, then serve.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Subcommand)]
enum Sub {
    /// Download a consistent backup from the running server (logs in with
    /// BOOKING_ADMIN_EMAIL / BOOKING_ADMIN_PASSWORD).
    Backup {
        /// Where to write the backup (created with mode 0600).
        #[arg(long)]
        to: PathBuf,
        /// The server's base URL; defaults to http://BOOKING_LISTEN.
        #[arg(long)]
        url: Option<String>,
    },
    /// Rebuild a store from a backup into an empty data directory; refuses
    /// a damaged file and never serves a half-finished restore.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The data directory to create; defaults to BOOKING_DATA_DIR.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Everything this process creates (store, secret, backups, temporary
    // files of the engines) is its owner's alone.
    booking_engine::startup::private_files();
    booking_engine::startup::return_large_blocks();
    let config_dir = std::env::var_os("BOOKING_CONFIG_DIR")
        .map_or_else(|| PathBuf::from("config"), PathBuf::from);
    match cli.command {
        Some(Sub::Backup { to, url }) => {
            let settings = Settings::load(&config_dir)?;
            return booking_engine::commands::backup(&settings, url.as_deref(), &to).await;
        }
        Some(Sub::Restore { from, data_dir }) => {
            let settings = Settings::load(&config_dir)?;
            let dir = data_dir.unwrap_or_else(|| settings.data_dir.clone());
            return booking_engine::commands::restore(&settings, &from, &dir);
        }
        None => {}
    }
    let settings = Settings::load(&config_dir)?;
    telemetry::init(settings.env);
    if let Some((before, now)) = booking_engine::startup::raise_open_files() {
        tracing::info!(
            before,
            open_files = now,
            "open-files limit raised to the hard limit"
        );
    }
    let app = Application::build(&settings).await?;
    tracing::info!(listen = %settings.listen, port = app.port(), store = ?settings.store.engine, "serving");
    if cli.demo {
        create_demo(&app, &settings).await?;
    }
    app.run_until_stopped().await
}

/// The demo restaurant with a staff and a customer account, on an empty store.
async fn create_demo(app: &Application, settings: &Settings) -> anyhow::Result<()> {
    let engine = app.engine();
    if let Some(id) = engine
        .venue_ids_after(None, 1)
        .await
        .context("Failed to read the store")?
        .first()
    {
        println!("The store already has venues (the first is {id}); no demo data was added.");
        return Ok(());
    }
    let accounts = &app.state().accounts;
    let password = |who: &str| format!("{who}-{}", hex(&booking_engine::accounts::random_bytes(6)));
    let (staff_pw, customer_pw) = (password("staff"), password("guest"));
    let staff = accounts
        .register("staff@demo.example", &staff_pw, Some("Demo Staff".into()))
        .await?;
    let customer = accounts
        .register(
            "guest@demo.example",
            &customer_pw,
            Some("Demo Guest".into()),
        )
        .await?;
    let lotus = VenueSettings {
        details: demo::lotus_details(),
        ..demo::restaurant_settings(Vec::new())
    };
    let (venue, _) = engine.create_venue(lotus).await?;
    let (lantern, _) = engine.create_venue(demo::lantern_settings()).await?;
    let add = booking_engine::domain::Command::SetStaff {
        caller: Caller::admin("demo-setup"),
        user: staff.user.id.clone(),
        member: true,
    };
    engine.execute(&venue, add).await?;
    let tomorrow = demo::tomorrow_evening(engine.now());
    let base = format!("http://{}/api/v1", settings.listen);
    println!(
        "\nDemo ready: \"Lotus Garden\" (Asia/Shanghai), venue {venue}
  and \"Red Lantern\", 4.6 km away, venue {lantern}
  staff:    staff@demo.example / {staff_pw} (Lotus Garden)
  customer: guest@demo.example / {customer_pw}

Restaurants within 5 km of the Bund, nearest first:
  curl '{base}/venues?near={lat},{lng}&radius_km=5'

Availability for two tomorrow:
  curl '{base}/venues/{venue}/availability?date={date}&party_size=2'

Book a table for two at 19:00 tomorrow as the customer:
  curl -X POST {base}/venues/{venue}/bookings \\
    -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\
    -d '{{\"start\": \"{start}\", \"party_size\": 2}}'
",
        lat = demo::BUND.0,
        lng = demo::BUND.1,
        date = tomorrow.0,
        token = customer.access_token,
        start = tomorrow.1,
    );
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
