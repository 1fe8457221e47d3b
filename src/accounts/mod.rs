//! Accounts: users, password hashes, access and refresh tokens, kept in the
//! store's auxiliary space. Password hashing (argon2id) runs on the blocking
//! pool, never on a request or actor thread.

pub mod friends;
mod hashing;
mod profile;
mod tokens;
pub mod wechat;

pub use hashing::Hashing;
pub use profile::Contact;

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

pub use tokens::{Claims, Tokens, random_bytes};

use crate::actors::writer::StoreWriter;
use crate::clock::Clock;
use crate::domain::UserId;
use crate::domain::time::micros;
use crate::ids::new_id;
use crate::store::{AuxOp, Commit, Storage, StoreError};

/// Auxiliary key spaces of this module.
const USERS: u8 = 1;
const EMAILS: u8 = 2;
const REFRESH: u8 = 3;
const FAMILIES: u8 = 4;
/// openid → user id (API v1.1 §1).
const OPENIDS: u8 = 6;
/// friend code → user id (API v1.1 §6).
const FRIEND_CODES: u8 = 7;

/// Shortest password accepted (API.md).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted: bounds the hashing work one request can ask for.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Refresh tokens live 30 days: a phone stays logged in for a month of disuse.
pub const REFRESH_TTL_SECONDS: i64 = 30 * 24 * 3600;

/// A refresh token presented again this soon after its first use, by the
/// same login, gets the same new pair: a client retrying a refresh whose
/// answer it lost must not be logged out (API v1.1 §10).
pub const REFRESH_GRACE_SECONDS: i64 = 10;
/// Most rotations remembered for the grace at once; beyond it a retry is
/// treated as reuse. Refreshes are rate limited, so this is never reached
/// in normal use.
const MAX_GRACE_ENTRIES: usize = 10_000;

/// The answer given to a refresh, kept for its grace period.
struct Grace {
    session: Session,
    /// The hash of the refresh token that answer handed out.
    successor: Vec<u8>,
    until: Timestamp,
}

/// `customer` (default) or `admin` (everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

/// A stored user.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// None for an account made by WeChat sign-in.
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Role,
    /// None for an account without a password (WeChat only).
    password_hash: Option<String>,
    #[serde(with = "micros")]
    pub created_at: Timestamp,
    /// `+` and 6-15 digits (`PATCH /me`).
    pub phone: Option<String>,
    /// The WeChat user this account is linked to.
    pub openid: Option<String>,
    pub unionid: Option<String>,
    /// What a friend types to find this account (API v1.1 §6).
    pub friend_code: Option<String>,
}

impl User {
    pub fn has_wechat(&self) -> bool {
        self.openid.is_some()
    }
}

/// A user as stored before WeChat sign-in: still read, so that a data
/// directory from then keeps its accounts.
#[derive(Deserialize)]
struct LegacyUser {
    id: UserId,
    email: String,
    name: Option<String>,
    role: Role,
    password_hash: String,
    #[serde(with = "micros")]
    created_at: Timestamp,
}

impl From<LegacyUser> for User {
    fn from(u: LegacyUser) -> Self {
        User {
            id: u.id,
            email: Some(u.email),
            name: u.name,
            role: u.role,
            password_hash: Some(u.password_hash),
            created_at: u.created_at,
            phone: None,
            openid: None,
            unionid: None,
            friend_code: None,
        }
    }
}

/// Decodes a user record of either layout.
fn decode_user(bytes: &[u8]) -> Result<User, AccountError> {
    match postcard::from_bytes::<User>(bytes) {
        Ok(user) => Ok(user),
        Err(_) => postcard::from_bytes::<LegacyUser>(bytes)
            .map(User::from)
            .map_err(|e| AccountError::Store(StoreError::Corrupt(format!("user record: {e}")))),
    }
}

/// A stored refresh token (keyed by its hash).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RefreshRecord {
    user: UserId,
    /// Every token of one login shares a family; reuse revokes the family.
    family: String,
    used: bool,
    #[serde(with = "micros")]
    expires_at: Timestamp,
}

/// What register, login and refresh return.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("that email is already registered")]
    EmailTaken,
    /// The WeChat user is linked to another account, or this account to
    /// another WeChat user: 409.
    #[error("{0}")]
    Conflict(&'static str),
    /// A bad or used code on `POST /me/wechat` (API v1.1 §11: 422 naming
    /// `code`), or WeChat's own refusal on `POST /auth/wechat`.
    #[error(transparent)]
    WeChat(#[from] wechat::WeChatError),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("wrong email or password")]
    BadCredentials,
    #[error("the refresh token is not valid")]
    BadRefreshToken,
    #[error(transparent)]
    Store(StoreError),
    /// Every password-hashing slot stayed busy for the whole wait: 503
    /// with `Retry-After`.
    #[error("too many logins at once; retry in a moment")]
    Busy,
    /// The store refused the write (a failed sync, shutdown): 503.
    #[error("the store is not accepting writes")]
    Unavailable,
    #[error("{0}")]
    Internal(String),
    /// A rule of friends or the schedule (`domain::social`).
    #[error(transparent)]
    Social(crate::domain::DomainError),
    /// Too many attempts; retry after this many seconds: 429.
    #[error("too many attempts; slow down")]
    RateLimited(u64),
}

impl From<StoreError> for AccountError {
    /// Storage that did not answer in time (a cluster) is "try again".
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unreachable(_) => AccountError::Unavailable,
            other => AccountError::Store(other),
        }
    }
}

/// The account service.
pub struct Accounts {
    store: Arc<dyn Storage>,
    /// Account writes go through the store writer like venue changes, so a
    /// failed sync refuses them too.
    writer: StoreWriter,
    tokens: Tokens,
    clock: Arc<dyn Clock>,
    /// Serializes account writes so that email uniqueness and refresh
    /// rotation are check-then-write without races. A tokio mutex: it is
    /// held across the store write. Account writes are rare (rate limited).
    writes: Mutex<()>,
    /// Bounds the memory and CPU password hashing can take.
    hashing: Hashing,
    /// Recent rotations by the hash of the token they spent. In memory
    /// only: the new pair is never written to disk in clear, and a restart
    /// within ten seconds costs a retrying client one login at most. A std
    /// mutex: held for a map operation, never across an await.
    grace: std::sync::Mutex<std::collections::HashMap<Vec<u8>, Grace>>,
    /// WeChat's API; none until `with_wechat` (then sign-in says it is not
    /// configured).
    wechat: Option<wechat::WeChat>,
    /// Name and phone by user, for the guest of a customer's booking: the
    /// booking path reads memory, not the store.
    contacts: dashmap::DashMap<UserId, profile::Contact>,
    /// Unknown friend codes tried per user this hour (§12: over ten → 429).
    unknown_codes: std::sync::Mutex<std::collections::HashMap<UserId, (Timestamp, u32)>>,
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap() // unwrap: these records always serialize.
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, AccountError> {
    postcard::from_bytes(bytes)
        .map_err(|e| AccountError::Store(StoreError::Corrupt(format!("account record: {e}"))))
}

/// Trims and lowercases an email and checks its shape.
pub fn normalize_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        });
    if ok && !email.chars().any(char::is_whitespace) {
        Ok(email)
    } else {
        Err(AccountError::Invalid {
            field: "email",
            reason: "is not an email address".into(),
        })
    }
}

fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid {
            field: "password",
            reason: format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(AccountError::Invalid {
            field: "password",
            reason: format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        });
    }
    Ok(())
}

async fn hash_password(hashing: &Hashing, password: String) -> Result<String, AccountError> {
    hashing
        .run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
        })
        .await?
        .map_err(|e| AccountError::Internal(e.to_string()))
}

/// Checks a password against a stored hash; with no hash (unknown email)
/// against a throwaway one, so that a login takes as long either way.
async fn verify_password(
    hashing: &Hashing,
    password: String,
    hash: Option<String>,
) -> Result<bool, AccountError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    hashing
        .run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| {
                DUMMY
                    .get_or_init(|| {
                        let throwaway = random_bytes(16);
                        Argon2::default()
                            .hash_password(&throwaway)
                            .map(|h| h.to_string())
                            .unwrap_or_default()
                    })
                    .clone()
            });
            let matches = PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            });
            known && matches
        })
        .await
}

impl Accounts {
    pub fn new(
        store: Arc<dyn Storage>,
        writer: StoreWriter,
        tokens: Tokens,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            writer,
            tokens,
            clock,
            writes: Mutex::new(()),
            hashing: Hashing::sized_for_this_machine(),
            grace: Default::default(),
            wechat: None,
            contacts: Default::default(),
            unknown_codes: Default::default(),
        }
    }

    /// Signs in through this WeChat client.
    pub fn with_wechat(self, wechat: wechat::WeChat) -> Self {
        Self {
            wechat: Some(wechat),
            ..self
        }
    }

    /// The token checker, for request extractors.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Creates a customer account and logs it in.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: Option<String>,
    ) -> Result<Session, AccountError> {
        let email = normalize_email(email)?;
        check_password(password)?;
        if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err(AccountError::Invalid {
                field: "name",
                reason: "must be at most 200 characters".into(),
            });
        }
        let password_hash = hash_password(&self.hashing, password.to_string()).await?;
        let _guard = self.writes.lock().await;
        if self.store.aux_get(EMAILS, email.as_bytes())?.is_some() {
            return Err(AccountError::EmailTaken);
        }
        let user = User {
            email: Some(email),
            name,
            password_hash: Some(password_hash),
            ..self.new_customer()?
        };
        let mut ops = self.user_ops(&user);
        let key = user.email.clone().unwrap_or_default();
        let session = self.new_session(user, &mut ops);
        if let Err(e) = self.write(ops).await {
            // On a cluster another node may have registered it just now:
            // its claim of the email came first, so this one was refused.
            if self.store.aux_get(EMAILS, key.as_bytes())?.is_some() {
                return Err(AccountError::EmailTaken);
            }
            return Err(e);
        }
        Ok(session)
    }

    /// Logs in with email and password.
    pub async fn login(&self, email: &str, password: &str) -> Result<Session, AccountError> {
        let user = match normalize_email(email) {
            Ok(email) => self.user_by_email(&email)?,
            Err(_) => None,
        };
        // Hash even for an unknown email, so timing does not reveal accounts.
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let valid = verify_password(&self.hashing, password.to_string(), hash).await?;
        let user = user.filter(|_| valid).ok_or(AccountError::BadCredentials)?;
        let _guard = self.writes.lock().await;
        let mut ops = Vec::new();
        let session = self.new_session(user, &mut ops);
        self.write(ops).await?;
        Ok(session)
    }

    /// Trades a refresh token for a new pair. A token used twice revokes
    /// every token of its login (someone else has a copy).
    pub async fn refresh(&self, token: &str) -> Result<Session, AccountError> {
        let key = tokens::token_hash(token);
        let _guard = self.writes.lock().await;
        if let Some(session) = self.retried(&key)? {
            return Ok(session);
        }
        let record: RefreshRecord = match self.store.aux_get(REFRESH, &key)? {
            Some(bytes) => decode(&bytes)?,
            None => return Err(AccountError::BadRefreshToken),
        };
        if self
            .store
            .aux_get(FAMILIES, record.family.as_bytes())?
            .is_some()
        {
            return Err(AccountError::BadRefreshToken);
        }
        if record.used {
            tracing::warn!(user_id = %record.user, "refresh token reused; revoking its login");
            self.write(vec![AuxOp::Put {
                space: FAMILIES,
                key: record.family.into_bytes(),
                // Until every token of the family has expired; then the
                // sweep forgets the family.
                value: self
                    .in_refresh_ttl()
                    .as_microsecond()
                    .to_be_bytes()
                    .to_vec(),
            }])
            .await?;
            return Err(AccountError::BadRefreshToken);
        }
        if record.expires_at <= self.now() {
            return Err(AccountError::BadRefreshToken);
        }
        let user = self
            .user(&record.user)?
            .ok_or(AccountError::BadRefreshToken)?;
        let used = RefreshRecord {
            used: true,
            ..record.clone()
        };
        let mut ops = vec![AuxOp::Put {
            space: REFRESH,
            key: key.clone(),
            value: encode(&used),
        }];
        let session = self.session_in_family(user, record.family, &mut ops);
        self.write(ops).await?;
        self.remember(key, &session);
        Ok(session)
    }

    /// The pair handed out for this token moments ago, once, while its
    /// successor is unused (a client's retry); `None` otherwise.
    fn retried(&self, key: &[u8]) -> Result<Option<Session>, AccountError> {
        let now = self.now();
        let entry = {
            let mut grace = self.grace.lock().unwrap_or_else(|e| e.into_inner());
            grace.retain(|_, g| g.until > now);
            grace.remove(key)
        };
        let Some(entry) = entry else {
            return Ok(None);
        };
        let successor_unused = match self.store.aux_get(REFRESH, &entry.successor)? {
            Some(bytes) => !decode::<RefreshRecord>(&bytes)?.used,
            None => false,
        };
        Ok(successor_unused.then_some(entry.session))
    }

    fn remember(&self, key: Vec<u8>, session: &Session) {
        let until = self
            .now()
            .saturating_add(jiff::SignedDuration::from_secs(REFRESH_GRACE_SECONDS))
            .unwrap_or(Timestamp::MAX);
        let mut grace = self.grace.lock().unwrap_or_else(|e| e.into_inner());
        if grace.len() < MAX_GRACE_ENTRIES {
            grace.insert(
                key,
                Grace {
                    session: session.clone(),
                    successor: tokens::token_hash(&session.refresh_token),
                    until,
                },
            );
        }
    }

    /// Makes sure this admin exists with this password (from the
    /// configuration). An existing account that is not an admin is never
    /// promoted: whoever registered that email first would inherit the
    /// admin's rights (and keep their refresh tokens).
    pub async fn ensure_admin(&self, email: &str, password: &str) -> Result<User, AccountError> {
        let email = normalize_email(email)?;
        check_password(password)?;
        if let Some(existing) = self.user_by_email(&email)?
            && existing.role != Role::Admin
        {
            return Err(AccountError::Invalid {
                field: "BOOKING_ADMIN_EMAIL",
                reason: format!(
                    "{email} belongs to an existing customer account ({}); it is not promoted \
                     to admin. Choose another admin email",
                    existing.id
                ),
            });
        }
        let password_hash = hash_password(&self.hashing, password.to_string()).await?;
        let _guard = self.writes.lock().await;
        let user = match self.user_by_email(&email)? {
            Some(u) => User {
                role: Role::Admin,
                password_hash: Some(password_hash),
                ..u
            },
            None => User {
                email: Some(email),
                name: Some("Administrator".into()),
                role: Role::Admin,
                password_hash: Some(password_hash),
                ..self.new_customer()?
            },
        };
        self.write(self.user_ops(&user)).await?;
        self.changed(&user);
        Ok(user)
    }

    /// A user by id.
    pub fn user(&self, id: &UserId) -> Result<Option<User>, AccountError> {
        self.store
            .aux_get(USERS, id.as_str().as_bytes())?
            .map(|b| decode_user(&b))
            .transpose()
    }

    /// A user by (normalized) email.
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>, AccountError> {
        self.user_at(EMAILS, email)
    }

    /// Stores account records durably through the store writer (its group
    /// commit, off the request thread); refused once a sync has failed.
    async fn write(&self, ops: Vec<AuxOp>) -> Result<(), AccountError> {
        let commit = Commit {
            events: Vec::new(),
            aux: ops,
        };
        match self.writer.submit(commit).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) | Err(_) => Err(AccountError::Unavailable),
        }
    }

    /// The record and every index entry of a user (puts are idempotent,
    /// so writing them all again after a change is safe).
    fn user_ops(&self, user: &User) -> Vec<AuxOp> {
        let id = user.id.as_str().as_bytes().to_vec();
        let mut ops = vec![AuxOp::Put {
            space: USERS,
            key: id.clone(),
            value: encode(user),
        }];
        let indexes = [
            (EMAILS, &user.email),
            (OPENIDS, &user.openid),
            (FRIEND_CODES, &user.friend_code),
        ];
        for (space, key) in indexes {
            if let Some(key) = key {
                ops.push(AuxOp::Claim {
                    space,
                    key: key.as_bytes().to_vec(),
                    value: id.clone(),
                });
            }
        }
        ops
    }

    /// A fresh customer with an id and a friend code, nothing else.
    fn new_customer(&self) -> Result<User, AccountError> {
        Ok(User {
            id: UserId::from(new_id().as_str()),
            email: None,
            name: None,
            role: Role::Customer,
            password_hash: None,
            created_at: self.now(),
            phone: None,
            openid: None,
            unionid: None,
            friend_code: Some(self.unused_friend_code()?),
        })
    }

    /// A friend code no account has: 40 random bits, so a clash is rare
    /// and a guess hopeless; a clash just draws again.
    fn unused_friend_code(&self) -> Result<String, AccountError> {
        loop {
            let code = profile::friend_code();
            if self.store.aux_get(FRIEND_CODES, code.as_bytes())?.is_none() {
                return Ok(code);
            }
        }
    }

    /// A user by the id an index entry names.
    fn user_at(&self, space: u8, key: &str) -> Result<Option<User>, AccountError> {
        match self.store.aux_get(space, key.as_bytes())? {
            Some(id) => self.user(&UserId::from(String::from_utf8_lossy(&id).as_ref())),
            None => Ok(None),
        }
    }

    fn new_session(&self, user: User, ops: &mut Vec<AuxOp>) -> Session {
        self.session_in_family(user, new_id(), ops)
    }

    fn session_in_family(&self, user: User, family: String, ops: &mut Vec<AuxOp>) -> Session {
        let now = self.now();
        let refresh_token = tokens::new_refresh_token();
        let expires_at = self.in_refresh_ttl();
        let record = RefreshRecord {
            user: user.id.clone(),
            family,
            used: false,
            expires_at,
        };
        ops.push(AuxOp::Put {
            space: REFRESH,
            key: tokens::token_hash(&refresh_token),
            value: encode(&record),
        });
        let access_token =
            self.tokens
                .issue(user.id.as_str(), user.role, now.as_second().max(0) as u64);
        Session {
            user,
            access_token,
            refresh_token,
            expires_in: self.tokens.access_ttl,
        }
    }

    /// Forgets refresh tokens past their expiry (spent or not) and revoked
    /// families whose every token has expired. Returns how many went.
    pub async fn sweep(&self, engine: &crate::actors::Engine) -> Result<usize, AccountError> {
        let now = self.now();
        let spent = move |value: &[u8]| {
            postcard::from_bytes::<RefreshRecord>(value).is_ok_and(|r| r.expires_at <= now)
        };
        let revoked_long_ago = move |value: &[u8]| {
            <[u8; 8]>::try_from(value).is_ok_and(|b| {
                Timestamp::from_microsecond(i64::from_be_bytes(b)).is_ok_and(|until| until <= now)
            })
        };
        let unavailable = |_| AccountError::Unavailable;
        let tokens = engine
            .sweep_aux(REFRESH, spent)
            .await
            .map_err(unavailable)?;
        let families = engine
            .sweep_aux(FAMILIES, revoked_long_ago)
            .await
            .map_err(unavailable)?;
        Ok(tokens + families)
    }

    /// The expiry of a refresh token issued now.
    fn in_refresh_ttl(&self) -> Timestamp {
        self.now()
            .saturating_add(jiff::SignedDuration::from_secs(REFRESH_TTL_SECONDS))
            .unwrap_or(Timestamp::MAX)
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// The signing secret: the configured one, or a random one kept in the data
/// directory (created once, readable by its owner only).
pub fn load_or_create_secret(
    configured: Option<&str>,
    data_dir: &std::path::Path,
) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read(&path)
        && existing.len() >= 32
    {
        // A secret file left readable by others is made private again.
        crate::store::files::private_tree(&path)?;
        return Ok(existing);
    }
    crate::store::files::private_dir(data_dir)
        .with_context(|| format!("Failed to create {}", data_dir.display()))?;
    let secret = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        random_bytes(48),
    )
    .into_bytes();
    let mut file = crate::store::files::create_private(&path)
        .with_context(|| format!("Failed to write {}", path.display()))?;
    std::io::Write::write_all(&mut file, &secret).context("Failed to write the JWT secret")?;
    file.sync_all().context("Failed to sync the JWT secret")?;
    Ok(secret)
}
