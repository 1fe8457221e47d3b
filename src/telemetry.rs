//! Logging: readable lines locally, JSON in production; `RUST_LOG` filters.

use tracing_subscriber::EnvFilter;

use crate::settings::Environment;

/// Installs the global subscriber once.
pub fn init(env: Environment) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match env {
        Environment::Production => builder.json().try_init(),
        Environment::Local => builder.try_init(),
    };
}
