//! `booking-load SCENARIO`: load a running server and check what it did.
//! Scenarios: spread, hot, read, mixed, fanout, baseline. Run the server
//! with BOOKING_RATE_LIMIT=off and an admin (BOOKING_ADMIN_EMAIL/PASSWORD);
//! pass the same admin here.

use std::time::Duration;

use booking_engine::load::{Options, Scenario, run};

const USAGE: &str = "usage: booking-load SCENARIO [--url URL] [--setup-url URL] [--seconds S] [--clients N] [--rate R] [--venues N] [--subscribers N] [--server-pid PID]

  SCENARIO     spread (bookings over --venues venues, 1000), hot (one venue), read
               (availability), mixed (90 % reads), fanout (--subscribers WebSocket
               subscribers of one venue while bookings stream in), baseline
               (GET /health and GET /me)
  --url        the server (http://127.0.0.1:8080)
  --setup-url  where the venues are made, if not --url (a cluster's other node)
  --seconds    how long to load (10)
  --clients    concurrent HTTP clients (64)
  --rate       total requests per second to pace at (default: as fast as possible)
  --server-pid the server's pid: report its bytes written to storage per booking
               (/proc/PID/io write_bytes before the load and --settle S after it, 6)
               and its CPU time per request during the load (/proc/PID/stat)

The admin comes from BOOKING_ADMIN_EMAIL / BOOKING_ADMIN_PASSWORD. Exits 1 if
an acknowledged booking is missing or a resource is over capacity.";

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2);
}

fn option<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage()),
        None => default,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args
        .first()
        .and_then(|s| Scenario::parse(s))
        .unwrap_or_else(|| usage());
    let options = Options {
        url: option(&args, "--url", "http://127.0.0.1:8080".to_string()),
        setup_url: args
            .iter()
            .any(|a| a == "--setup-url")
            .then(|| option(&args, "--setup-url", String::new())),
        scenario,
        duration: Duration::from_secs(option(&args, "--seconds", 10)),
        clients: option(&args, "--clients", 64),
        venues: option(&args, "--venues", 1000),
        subscribers: option(&args, "--subscribers", 1000),
        rate: args
            .iter()
            .any(|a| a == "--rate")
            .then(|| option(&args, "--rate", 0.0)),
        admin_email: std::env::var("BOOKING_ADMIN_EMAIL").unwrap_or_else(|_| usage()),
        admin_password: std::env::var("BOOKING_ADMIN_PASSWORD").unwrap_or_else(|_| usage()),
        server_pid: args
            .iter()
            .any(|a| a == "--server-pid")
            .then(|| option(&args, "--server-pid", 0)),
        settle: Duration::from_secs(option(&args, "--settle", 6)),
    };
    let report = run(options).await?;
    println!("{report}");
    if !report.ok() {
        std::process::exit(1);
    }
    Ok(())
}
