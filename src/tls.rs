//! TLS for the process's HTTP clients (WeChat; the backup command and the
//! load tool when pointed at https): rustls with graviola's cryptography,
//! pure Rust, so the binaries build with rustc alone (ring and aws-lc
//! compile C).

/// Makes graviola the process's rustls provider; call before building an
/// HTTP client. Idempotent: later calls find it installed.
pub fn install() {
    let _ = rustls_graviola::default_provider().install_default();
}

/// A client builder with TLS ready.
pub fn client() -> reqwest::ClientBuilder {
    install();
    reqwest::Client::builder()
}
