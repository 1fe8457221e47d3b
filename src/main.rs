//! `booking-engine`: serves; `--demo` first creates the demo restaurant and
//! demo accounts on an empty store and prints how to use them.

use std::path::PathBuf;

use anyhow::Context;
use booking_engine::actors::messages::SetStaff;
use booking_engine::demo;
use booking_engine::domain::Caller;
use booking_engine::settings::Settings;
use booking_engine::startup::Application;
use booking_engine::telemetry;

const USAGE: &str = "usage: booking-engine [--demo]
       booking-engine backup --to FILE [--url URL]
       booking-engine restore --from FILE [--data-dir DIR]

  (no arguments)  serve
  --demo          on an empty store, create a demo restaurant, a staff and a
                  customer account, print them, then serve
  backup          download a consistent backup from the running server
                  (logs in with BOOKING_ADMIN_EMAIL / BOOKING_ADMIN_PASSWORD;
                  URL defaults to http://BOOKING_LISTEN)
  restore         rebuild a store from a backup into an empty data directory
                  (DIR defaults to BOOKING_DATA_DIR; refuses a damaged file)

Settings: config/ (or BOOKING_CONFIG_DIR) and BOOKING_* variables; see README.md.";

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2);
}

/// The value after `--name` in `args`.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config_dir = std::env::var_os("BOOKING_CONFIG_DIR")
        .map_or_else(|| PathBuf::from("config"), PathBuf::from);
    let demo = match args.first().map(String::as_str) {
        None => false,
        Some("--demo") if args.len() == 1 => true,
        Some("backup") => {
            let to = option(&args, "--to").unwrap_or_else(|| usage());
            let settings = Settings::load(&config_dir)?;
            return booking_engine::commands::backup(
                &settings,
                option(&args, "--url"),
                to.as_ref(),
            )
            .await;
        }
        Some("restore") => {
            let from = option(&args, "--from").unwrap_or_else(|| usage());
            let settings = Settings::load(&config_dir)?;
            let dir = option(&args, "--data-dir")
                .map_or_else(|| settings.data_dir.clone(), PathBuf::from);
            return booking_engine::commands::restore(&settings, from.as_ref(), &dir);
        }
        _ => usage(),
    };
    let settings = Settings::load(&config_dir)?;
    telemetry::init(settings.env);
    let app = Application::build(&settings).await?;
    tracing::info!(listen = %settings.listen, port = app.port(), store = ?settings.store.engine, "serving");
    if demo {
        create_demo(&app, &settings).await?;
    }
    app.run_until_stopped().await
}

/// The demo restaurant with a staff and a customer account, on an empty store.
async fn create_demo(app: &Application, settings: &Settings) -> anyhow::Result<()> {
    let engine = app.engine();
    if let Some(id) = engine
        .store()
        .venue_ids()
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
    let (venue, _) = engine
        .create_venue(demo::restaurant_settings(Vec::new()))
        .await?;
    let add = SetStaff {
        caller: Caller::admin("demo-setup"),
        user: staff.user.id.clone(),
        member: true,
    };
    engine.execute(&venue, add).await?;
    let tomorrow = demo::tomorrow_evening(engine.now());
    let base = format!("http://{}/api/v1", settings.listen);
    println!(
        "\nDemo ready: \"Lotus Garden\" (Asia/Shanghai), venue {venue}
  staff:    staff@demo.example / {staff_pw}
  customer: guest@demo.example / {customer_pw}

Availability for two tomorrow:
  curl '{base}/venues/{venue}/availability?date={date}&party_size=2'

Book a table for two at 19:00 tomorrow as the customer:
  curl -X POST {base}/venues/{venue}/bookings \\
    -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\
    -d '{{\"start\": \"{start}\", \"party_size\": 2}}'
",
        date = tomorrow.0,
        token = customer.access_token,
        start = tomorrow.1,
    );
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
