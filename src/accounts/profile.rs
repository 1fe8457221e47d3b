//! WeChat sign-in and linking, and the caller's own profile (API v1.1 §1):
//! accounts keyed by `openid`, `PATCH /me`, friend codes.

use super::wechat::{WeChatError, WeChatIdentity};
use super::{AccountError, Accounts, OPENIDS, Session, User, random_bytes};
use crate::domain::{Patch, UserId};

/// Most contacts kept in memory; past it the cache starts over (a miss
/// costs one store read on the blocking pool).
const MAX_CONTACTS: usize = 100_000;

/// What a customer's booking takes from their account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl From<&User> for Contact {
    fn from(u: &User) -> Self {
        Contact {
            name: u.name.clone(),
            phone: u.phone.clone(),
        }
    }
}

/// Crockford's base 32: no I, L, O, U, so a code read aloud or typed from
/// a screenshot is not mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Longest name accepted (as at registration).
const MAX_NAME_CHARS: usize = 200;

/// Eight symbols of 5 bits: 40 random bits (API v1.1 §12).
pub(super) fn friend_code() -> String {
    let bytes = random_bytes(5);
    let bits = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    (0..8)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// The engine's one phone rule (`domain::details::normalize_phone`).
pub fn normalize_phone(phone: &str) -> Result<String, AccountError> {
    crate::domain::details::normalize_phone(phone, "phone").map_err(|_| AccountError::Invalid {
        field: "phone",
        reason: "must be + and 6 to 15 digits".into(),
    })
}

fn check_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AccountError::Invalid {
            field: "name",
            reason: format!("must be 1 to {MAX_NAME_CHARS} characters"),
        });
    }
    Ok(name.to_string())
}

impl Accounts {
    /// A user's name and phone (the defaults of their bookings' guest),
    /// from memory; a miss reads the store on the blocking pool.
    pub async fn contact(&self, id: &UserId) -> Result<Contact, AccountError> {
        if let Some(c) = self.contacts.get(id) {
            return Ok(c.clone());
        }
        let store = self.store.clone();
        let key = id.clone();
        let bytes = tokio::task::spawn_blocking(move || {
            store.aux_get(super::USERS, key.as_str().as_bytes())
        })
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))??;
        let contact = match bytes {
            Some(b) => Contact::from(&super::decode_user(&b)?),
            None => Contact::default(),
        };
        if self.contacts.len() >= MAX_CONTACTS {
            self.contacts.clear();
        }
        // A change written meanwhile has put its value in: keep that one.
        Ok(self.contacts.entry(id.clone()).or_insert(contact).clone())
    }

    /// After a user record is durable: its contact as it now is.
    pub(super) fn changed(&self, user: &User) {
        self.contacts.insert(user.id.clone(), Contact::from(user));
    }

    fn wechat(&self) -> Result<&super::wechat::WeChat, AccountError> {
        self.wechat
            .as_ref()
            .ok_or(AccountError::WeChat(WeChatError::NotConfigured))
    }

    /// `POST /auth/wechat`: the account of this WeChat user, made on first
    /// sign-in. True when it was made now (201).
    pub async fn sign_in_wechat(&self, code: &str) -> Result<(Session, bool), AccountError> {
        let identity = self.wechat()?.code_to_session(code).await?;
        let _guard = self.writes.lock().await;
        let (user, created) = match self.user_at(OPENIDS, &identity.openid)? {
            Some(user) => {
                // WeChat may send the unionid only once the app joins an
                // open-platform account: keep it when it first appears.
                let unionid = user.unionid.clone().or(identity.unionid);
                (User { unionid, ..user }, false)
            }
            None => (
                User {
                    openid: Some(identity.openid),
                    unionid: identity.unionid,
                    ..self.new_customer()?
                },
                true,
            ),
        };
        let mut ops = self.user_ops(&user);
        let session = self.new_session(user, &mut ops);
        self.write(ops).await?;
        Ok((session, created))
    }

    /// `POST /me/wechat`: links the caller's account to their WeChat user.
    /// A bad or used code is 422 naming `code` here (API v1.1 §11).
    pub async fn link_wechat(&self, id: &UserId, code: &str) -> Result<User, AccountError> {
        let identity = match self.wechat()?.code_to_session(code).await {
            Err(WeChatError::BadCode) => {
                return Err(AccountError::Invalid {
                    field: "code",
                    reason: "is not a valid, unused WeChat login code".into(),
                });
            }
            other => other?,
        };
        let _guard = self.writes.lock().await;
        let user = self.user(id)?.ok_or(AccountError::BadCredentials)?;
        self.link(user, identity).await
    }

    async fn link(&self, user: User, identity: WeChatIdentity) -> Result<User, AccountError> {
        if let Some(owner) = self.user_at(OPENIDS, &identity.openid)?
            && owner.id != user.id
        {
            return Err(AccountError::Conflict(
                "this WeChat user is linked to another account",
            ));
        }
        match &user.openid {
            Some(linked) if *linked == identity.openid => return Ok(user),
            Some(_) => {
                return Err(AccountError::Conflict(
                    "this account is linked to another WeChat user",
                ));
            }
            None => {}
        }
        let user = User {
            openid: Some(identity.openid),
            unionid: identity.unionid,
            ..user
        };
        self.write(self.user_ops(&user)).await?;
        self.changed(&user);
        Ok(user)
    }

    /// `PATCH /me`: `null` clears, an omitted field stays.
    pub async fn update_profile(
        &self,
        id: &UserId,
        name: Patch<String>,
        phone: Patch<String>,
    ) -> Result<User, AccountError> {
        let name = match name {
            Patch::Set(n) => Patch::Set(check_name(&n)?),
            other => other,
        };
        let phone = match phone {
            Patch::Set(p) => Patch::Set(normalize_phone(&p)?),
            other => other,
        };
        let _guard = self.writes.lock().await;
        let user = self.user(id)?.ok_or(AccountError::BadCredentials)?;
        let user = User {
            name: name.apply(user.name.clone()),
            phone: phone.apply(user.phone.clone()),
            ..user
        };
        self.write(self.user_ops(&user)).await?;
        self.changed(&user);
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friend_codes_are_eight_unambiguous_symbols() {
        let codes: std::collections::HashSet<String> = (0..1000).map(|_| friend_code()).collect();
        assert!(codes.len() > 990, "40 random bits rarely clash");
        for code in &codes {
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        }
    }

    #[test]
    fn phones_are_plus_and_six_to_fifteen_digits() {
        assert_eq!(
            normalize_phone("+86 138-0013-8000").unwrap(),
            "+8613800138000"
        );
        assert!(normalize_phone("+123456").is_ok());
        for bad in [
            "13800138000",
            "+12345",
            "+1234567890123456",
            "+86abc12345",
            "",
        ] {
            assert!(normalize_phone(bad).is_err(), "{bad}");
        }
    }
}
