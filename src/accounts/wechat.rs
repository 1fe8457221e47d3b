//! WeChat's `jscode2session` exchange (API v1.1 §1): a mini-program's
//! `wx.login()` code becomes the user's `openid` (and `unionid`).
//!
//! What WeChat says maps onto the contract's table here and nowhere else.
//! The app secret travels in the query string, so no URL of this module is
//! ever logged (`reqwest::Error::without_url`), and the `session_key` WeChat
//! returns is never even deserialized: nothing can leak what is not kept.

use std::time::Duration;

use serde::Deserialize;

use crate::settings::WeChatSettings;

/// How long WeChat may take to answer (API v1.1 §1).
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// What `Retry-After` says when WeChat did not answer usefully.
pub const RETRY_AFTER_SECONDS: u64 = 5;
/// Longest code accepted: `wx.login` codes are 32 characters; anything much
/// longer is not one and is not sent upstream.
const MAX_CODE_CHARS: usize = 128;

/// Who WeChat says the code belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeChatIdentity {
    pub openid: String,
    pub unionid: Option<String>,
}

/// Why an exchange failed, in the contract's terms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WeChatError {
    /// 40029, 40163, or a code that cannot be one.
    #[error("the WeChat login code is invalid or already used")]
    BadCode,
    /// 45011.
    #[error("too many WeChat logins; retry in a moment")]
    TooFrequent,
    /// 40226.
    #[error("this WeChat user is blocked")]
    Blocked,
    /// No appid or secret configured.
    #[error(
        "WeChat sign-in is not configured on this server (BOOKING_WECHAT__APPID and BOOKING_WECHAT__SECRET)"
    )]
    NotConfigured,
    /// -1, any other errcode, a timeout, a non-JSON answer.
    #[error("WeChat did not answer usefully ({0}); retry in a moment")]
    Upstream(String),
}

/// The answer's fields this server uses. `session_key` is left out on
/// purpose: serde skips it, so it never lives in our memory as a field.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    errcode: i64,
    openid: Option<String>,
    unionid: Option<String>,
}

/// The client of WeChat's API.
pub struct WeChat {
    http: reqwest::Client,
    settings: WeChatSettings,
}

impl WeChat {
    pub fn new(settings: WeChatSettings) -> anyhow::Result<Self> {
        let http = crate::tls::client()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { http, settings })
    }

    /// Trades a `wx.login` code for the user's identity.
    pub async fn code_to_session(&self, code: &str) -> Result<WeChatIdentity, WeChatError> {
        let (Some(appid), Some(secret)) = (
            self.settings.appid.as_deref().filter(|s| !s.is_empty()),
            self.settings.secret.as_deref().filter(|s| !s.is_empty()),
        ) else {
            return Err(WeChatError::NotConfigured);
        };
        let code = code.trim();
        if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
            return Err(WeChatError::BadCode);
        }
        let url = format!(
            "{}/sns/jscode2session",
            self.settings.api_base.trim_end_matches('/')
        );
        let response = self
            .http
            .get(url)
            .query(&[
                ("appid", appid),
                ("secret", secret),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            .map_err(|e| upstream(e.without_url()))?;
        // WeChat answers 200 with an errcode; text/plain content types are
        // common, so the body is parsed whatever the header says.
        let body = response
            .bytes()
            .await
            .map_err(|e| upstream(e.without_url()))?;
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|_| WeChatError::Upstream("the answer is not JSON".into()))?;
        classify(answer)
    }
}

fn upstream(e: reqwest::Error) -> WeChatError {
    let what = if e.is_timeout() {
        "no answer within 5 s".to_string()
    } else {
        e.to_string()
    };
    tracing::warn!(error = %what, "WeChat jscode2session failed");
    WeChatError::Upstream(what)
}

/// The errcode table of API v1.1 §1 (§11: 0 with an openid is success).
fn classify(answer: Answer) -> Result<WeChatIdentity, WeChatError> {
    match (answer.errcode, answer.openid) {
        (0, Some(openid)) if !openid.is_empty() && openid.len() <= 128 => Ok(WeChatIdentity {
            openid,
            unionid: answer.unionid.filter(|u| !u.is_empty() && u.len() <= 128),
        }),
        (40029 | 40163, _) => Err(WeChatError::BadCode),
        (45011, _) => Err(WeChatError::TooFrequent),
        (40226, _) => Err(WeChatError::Blocked),
        (0, _) => Err(WeChatError::Upstream("an answer without an openid".into())),
        (code, _) => Err(WeChatError::Upstream(format!("errcode {code}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> Result<WeChatIdentity, WeChatError> {
        classify(serde_json::from_str(json).unwrap())
    }

    /// An https `api_base` goes through rustls (graviola): a host that
    /// answers in plain text fails the TLS handshake, which is WeChat not
    /// answering usefully (503), not a panic for a missing crypto provider.
    #[tokio::test]
    async fn an_https_api_base_speaks_tls() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (saw, seen) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut socket, _)) = listener.accept() {
                let mut hello = [0u8; 5];
                // A TLS client hello starts with a handshake record: 0x16.
                let _ = socket.read_exact(&mut hello);
                let _ = saw.send(hello[0] == 0x16);
                let _ = socket.write_all(b"HTTP/1.1 200 OK\r\n\r\n{}");
            }
        });
        let wechat = WeChat::new(WeChatSettings {
            appid: Some("wx".into()),
            secret: Some("s".into()),
            api_base: format!("https://127.0.0.1:{port}"),
        })
        .unwrap();
        let got = wechat.code_to_session("good-code").await;
        assert!(matches!(got, Err(WeChatError::Upstream(_))), "{got:?}");
        assert_eq!(
            seen.recv().ok(),
            Some(true),
            "the client opened with a TLS hello"
        );
    }

    #[test]
    fn each_errcode_has_its_row() {
        let ok = answer(r#"{"openid":"o1","session_key":"k","unionid":"u1"}"#).unwrap();
        assert_eq!(ok.openid, "o1");
        assert_eq!(ok.unionid.as_deref(), Some("u1"));
        assert_eq!(
            answer(r#"{"errcode":40029,"errmsg":"invalid code"}"#),
            Err(WeChatError::BadCode)
        );
        assert_eq!(
            answer(r#"{"errcode":40163,"errmsg":"code been used"}"#),
            Err(WeChatError::BadCode)
        );
        assert_eq!(
            answer(r#"{"errcode":45011}"#),
            Err(WeChatError::TooFrequent)
        );
        assert_eq!(answer(r#"{"errcode":40226}"#), Err(WeChatError::Blocked));
        assert!(matches!(
            answer(r#"{"errcode":-1}"#),
            Err(WeChatError::Upstream(_))
        ));
        assert!(matches!(
            answer(r#"{"errcode":40013}"#),
            Err(WeChatError::Upstream(_))
        ));
        assert!(matches!(
            answer(r#"{"errcode":0}"#),
            Err(WeChatError::Upstream(_))
        ));
    }
}
