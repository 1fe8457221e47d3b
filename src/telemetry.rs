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

/// The process's Prometheus recorder, installed on first use (one per
/// process: tests start many apps in one process and share it).
pub fn metrics() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .unwrap() // unwrap: the bucket list above is not empty.
            .build_recorder();
        let handle = recorder.handle();
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}
