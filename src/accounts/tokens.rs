//! Access tokens (JWT, HS256 only) and opaque refresh tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::Role;

/// What an access token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub role: Role,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
}

/// Signs and checks access tokens with one HMAC secret.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Lifetime of an access token in seconds.
    pub access_ttl: u64,
}

impl Tokens {
    pub fn new(secret: &[u8], access_ttl: u64) -> Self {
        // HS256 only: a token naming any other algorithm, `none` included, is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
        }
    }

    /// A signed access token for `sub` issued at `now` (seconds).
    pub fn issue(&self, sub: &str, role: Role, now: u64) -> String {
        let claims = Claims {
            sub: sub.to_string(),
            role,
            exp: now + self.access_ttl,
            iat: now,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap() // unwrap: HS256 signing of a small struct does not fail.
    }

    /// The claims of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|t| t.claims)
    }
}

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).unwrap(); // unwrap: the OS random source does not fail on Linux once booted.
    bytes
}

/// A new opaque refresh token (256 random bits).
pub fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(32))
}

/// What the store keeps of a refresh token: its hash, never the token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_the_same_secret_and_before_expiry() {
        let tokens = Tokens::new(b"0123456789abcdef0123456789abcdef", 900);
        let now = jiff::Timestamp::now().as_second() as u64;
        let t = tokens.issue("u1", Role::Customer, now);
        assert_eq!(tokens.verify(&t).map(|c| c.sub), Some("u1".into()));
        let other = Tokens::new(b"another secret, also 32 bytes...", 900);
        assert!(other.verify(&t).is_none());
        let old = tokens.issue("u1", Role::Customer, now - 2000);
        assert!(tokens.verify(&old).is_none());
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let tokens = Tokens::new(b"0123456789abcdef0123456789abcdef", 900);
        let now = jiff::Timestamp::now().as_second();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"sub":"u1","role":"admin","exp":{},"iat":{now}}}"#,
            now + 900
        ));
        assert!(tokens.verify(&format!("{header}.{body}.")).is_none());
    }
}
