//! `booking-engine`: serves; `--demo` first creates the demo restaurant on
//! an empty store.

use std::path::PathBuf;

use anyhow::Context;
use booking_engine::demo;
use booking_engine::settings::Settings;
use booking_engine::startup::Application;
use booking_engine::telemetry;

const USAGE: &str = "usage: booking-engine [--demo]\n\n  (no arguments)  serve\n  --demo          create a demo restaurant when the store is empty, then serve\n\nSettings: config/ (or BOOKING_CONFIG_DIR) and BOOKING_* variables; see README.md.";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo = match args.as_slice() {
        [] => false,
        [flag] if flag == "--demo" => true,
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let config_dir = std::env::var_os("BOOKING_CONFIG_DIR")
        .map_or_else(|| PathBuf::from("config"), PathBuf::from);
    let settings = Settings::load(&config_dir)?;
    telemetry::init(settings.env);
    let app = Application::build(&settings)?;
    tracing::info!(listen = %settings.listen, port = app.port(), store = ?settings.store.engine, "serving");
    if demo {
        let engine = app.engine();
        let existing = engine
            .store()
            .venue_ids()
            .context("Failed to read the store")?;
        match existing.first() {
            Some(id) => println!("The store already has venues; the first is {id}."),
            None => {
                let (id, _) = engine
                    .create_venue(demo::restaurant_settings(Vec::new()))
                    .await?;
                println!(
                    "Created the demo restaurant \"Lotus Garden\" (Asia/Shanghai): venue {id}"
                );
            }
        }
    }
    app.run_until_stopped().await
}
