//! The `backup` and `restore` commands of the binary.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

use crate::settings::Settings;
use crate::store::backup;

/// Downloads a consistent backup from the running server to `to`, logging
/// in as the configured admin; checks the file before keeping it.
pub async fn backup(settings: &Settings, url: Option<&str>, to: &Path) -> anyhow::Result<()> {
    let base = match url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => format!("http://{}", settings.listen.replace("0.0.0.0", "127.0.0.1")),
    };
    let (Some(email), Some(password)) = (&settings.admin_email, &settings.admin_password) else {
        bail!("backup logs in as the admin: set BOOKING_ADMIN_EMAIL and BOOKING_ADMIN_PASSWORD");
    };
    let client = crate::tls::client().build()?;
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .with_context(|| format!("Failed to reach the server at {base}"))?;
    if !login.status().is_success() {
        bail!("the admin login was refused ({})", login.status());
    }
    let token: serde_json::Value = login
        .json()
        .await
        .context("Failed to read the login answer")?;
    let token = token["access_token"]
        .as_str()
        .context("the login answer has no token")?;
    let mut response = client
        .get(format!("{base}/api/v1/admin/backup"))
        .bearer_auth(token)
        .send()
        .await
        .context("Failed to ask for a backup")?;
    if !response.status().is_success() {
        bail!("the server refused the backup ({})", response.status());
    }
    let partial = to.with_extension("partial");
    let mut file = crate::store::files::create_private(&partial)?;
    let (mut bytes, mut shown) = (0u64, 0u64);
    while let Some(chunk) = response.chunk().await.context("The download broke off")? {
        file.write_all(&chunk)
            .context("Failed to write the backup")?;
        bytes += chunk.len() as u64;
        if bytes - shown >= 8 << 20 {
            eprintln!("  {} MiB", bytes >> 20);
            shown = bytes;
        }
    }
    file.sync_all().context("Failed to sync the backup")?;
    let records = backup::verify(&partial).context("The downloaded backup does not check out")?;
    std::fs::rename(&partial, to)
        .with_context(|| format!("Failed to move the backup to {}", to.display()))?;
    println!(
        "backup of {records} records ({bytes} bytes) written to {}",
        to.display()
    );
    Ok(())
}

/// Rebuilds a store in `data_dir` from a backup file.
pub fn restore(settings: &Settings, from: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let records = backup::restore(from, settings.store.engine, data_dir, &mut |n| {
        eprintln!("  {n} records")
    })
    .with_context(|| format!("Failed to restore {}", from.display()))?;
    println!(
        "restored {records} records into {} ({:?})",
        data_dir.display(),
        settings.store.engine
    );
    Ok(())
}
