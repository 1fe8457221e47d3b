//! Friends, schedule items and calendar feeds (API v1.1 §6), stored per
//! account in the auxiliary spaces; the rules are `domain::social`'s.

use super::{AccountError, Accounts, decode, encode};
use crate::domain::social::{
    self, Asking, Friend, FriendRequest, MAX_SCHEDULE_ITEMS, MAX_UNKNOWN_CODES_PER_HOUR,
    RequestStatus, ScheduleItem, Social,
};
use crate::domain::{DomainError, UserId};
use crate::ids::new_id;
use crate::store::AuxOp;

/// user id → `Social`.
pub(super) const SOCIAL: u8 = 8;
/// request id → `FriendRequest`.
const REQUESTS: u8 = 9;
/// feed token hash → user id.
const FEEDS: u8 = 10;

/// Most users whose unknown-code attempts are remembered at once.
const MAX_TRACKED: usize = 100_000;

impl Accounts {
    /// An account's social state (empty if it never had any).
    pub fn social(&self, user: &UserId) -> Result<Social, AccountError> {
        self.store
            .aux_get(SOCIAL, user.as_str().as_bytes())?
            .map(|b| decode(&b))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    fn social_op(user: &UserId, social: &Social) -> AuxOp {
        AuxOp::Put {
            space: SOCIAL,
            key: user.as_str().as_bytes().to_vec(),
            value: encode(social),
        }
    }

    fn request(&self, id: &str) -> Result<Option<FriendRequest>, AccountError> {
        self.store
            .aux_get(REQUESTS, id.as_bytes())?
            .map(|b| decode(&b))
            .transpose()
    }

    fn request_op(r: &FriendRequest) -> AuxOp {
        AuxOp::Put {
            space: REQUESTS,
            key: r.id.as_bytes().to_vec(),
            value: encode(r),
        }
    }

    /// The pending requests an account is part of.
    pub fn requests_of(&self, user: &UserId) -> Result<Vec<FriendRequest>, AccountError> {
        let mut out = Vec::new();
        for id in self.social(user)?.requests {
            if let Some(r) = self
                .request(&id)?
                .filter(|r| r.status == RequestStatus::Pending)
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Whether two accounts are friends.
    pub fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, AccountError> {
        Ok(self.social(a)?.is_friend(b))
    }

    /// `POST /me/friend-code`: a new code; the old one stops working.
    pub async fn new_friend_code(&self, id: &UserId) -> Result<String, AccountError> {
        let _guard = self.writes.lock().await;
        let mut user = self.user(id)?.ok_or(AccountError::BadCredentials)?;
        let code = self.unused_friend_code()?;
        let mut ops = Vec::new();
        if let Some(old) = user.friend_code.replace(code.clone()) {
            ops.push(AuxOp::Delete {
                space: super::FRIEND_CODES,
                key: old.into_bytes(),
            });
        }
        ops.extend(self.user_ops(&user));
        self.write(ops).await?;
        self.changed(&user);
        Ok(code)
    }

    /// `POST /friends/requests {friend_code}`: a new pending request, or
    /// the acceptance of one the other side sent first.
    pub async fn ask_friend(
        &self,
        from: &UserId,
        code: &str,
    ) -> Result<FriendRequest, AccountError> {
        let code = code.trim().to_ascii_uppercase();
        let Some(to) = self.user_at(super::FRIEND_CODES, &code)? else {
            self.count_unknown_code(from)?;
            return Err(AccountError::Social(DomainError::NotFound("friend code")));
        };
        let _guard = self.writes.lock().await;
        let mine = self.social(from)?;
        let theirs = self.social(&to.id)?;
        let mut pending = self.requests_of(from)?;
        pending.extend(self.requests_of(&to.id)?);
        match social::ask(from, &to.id, &mine, &pending).map_err(AccountError::Social)? {
            Asking::AcceptTheirs(id) => {
                let request =
                    self.request(&id)?
                        .ok_or(AccountError::Social(DomainError::NotFound(
                            "friend request",
                        )))?;
                self.befriend(request).await
            }
            Asking::New => {
                let request = FriendRequest {
                    id: new_id(),
                    from: from.clone(),
                    to: to.id.clone(),
                    status: RequestStatus::Pending,
                    created_at: self.now(),
                };
                let (mut mine, mut theirs) = (mine, theirs);
                mine.requests.push(request.id.clone());
                theirs.requests.push(request.id.clone());
                let ops = vec![
                    Self::request_op(&request),
                    Self::social_op(from, &mine),
                    Self::social_op(&to.id, &theirs),
                ];
                self.write(ops).await?;
                Ok(request)
            }
        }
    }

    /// Counts an unknown code; more than ten in an hour is 429 (§12).
    fn count_unknown_code(&self, user: &UserId) -> Result<(), AccountError> {
        let now = self.now();
        let mut tries = self.unknown_codes.lock().unwrap_or_else(|p| p.into_inner());
        let hour = jiff::SignedDuration::from_hours(1);
        if tries.len() >= MAX_TRACKED {
            tries.retain(|_, (since, _)| now.duration_since(*since) < hour);
        }
        let entry = tries.entry(user.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= hour {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > MAX_UNKNOWN_CODES_PER_HOUR {
            return Err(AccountError::RateLimited(3600));
        }
        Ok(())
    }

    /// Accept or decline a request (the addressee only).
    pub async fn answer_friend(
        &self,
        caller: &UserId,
        id: &str,
        accept: bool,
    ) -> Result<FriendRequest, AccountError> {
        let _guard = self.writes.lock().await;
        let request = self
            .request(id)?
            .filter(|r| &r.from == caller || &r.to == caller)
            .ok_or(AccountError::Social(DomainError::NotFound(
                "friend request",
            )))?;
        social::answer(&request, caller).map_err(AccountError::Social)?;
        if accept {
            return self.befriend(request).await;
        }
        let (mine, theirs) = (self.social(&request.to)?, self.social(&request.from)?);
        let mut request = request;
        request.status = RequestStatus::Declined;
        let (mut mine, mut theirs) = (mine, theirs);
        mine.requests.retain(|r| r != &request.id);
        theirs.requests.retain(|r| r != &request.id);
        let ops = vec![
            Self::request_op(&request),
            Self::social_op(&request.to, &mine),
            Self::social_op(&request.from, &theirs),
        ];
        self.write(ops).await?;
        Ok(request)
    }

    /// Makes the two sides of `request` friends, in one write (callers
    /// hold the write lock).
    async fn befriend(&self, mut request: FriendRequest) -> Result<FriendRequest, AccountError> {
        let now = self.now();
        request.status = RequestStatus::Accepted;
        let (mut to, mut from) = (self.social(&request.to)?, self.social(&request.from)?);
        for (side, other) in [(&mut to, &request.from), (&mut from, &request.to)] {
            side.requests.retain(|r| r != &request.id);
            if !side.is_friend(other) {
                side.friends.push(Friend {
                    user_id: other.clone(),
                    since: now,
                });
            }
        }
        let ops = vec![
            Self::request_op(&request),
            Self::social_op(&request.to, &to),
            Self::social_op(&request.from, &from),
        ];
        self.write(ops).await?;
        Ok(request)
    }

    /// `DELETE /friends/{user_id}`: both sides forget the friendship.
    pub async fn unfriend(&self, caller: &UserId, other: &UserId) -> Result<(), AccountError> {
        let _guard = self.writes.lock().await;
        let (mut mine, mut theirs) = (self.social(caller)?, self.social(other)?);
        if !mine.is_friend(other) {
            return Ok(());
        }
        mine.friends.retain(|f| &f.user_id != other);
        theirs.friends.retain(|f| &f.user_id != caller);
        self.write(vec![
            Self::social_op(caller, &mine),
            Self::social_op(other, &theirs),
        ])
        .await
    }

    /// Edits the caller's schedule items with `change` (a domain rule
    /// check included) and stores them, under the write lock.
    pub async fn edit_schedule<T>(
        &self,
        user: &UserId,
        change: impl FnOnce(&mut Vec<ScheduleItem>) -> Result<T, DomainError>,
    ) -> Result<T, AccountError> {
        let _guard = self.writes.lock().await;
        let mut social = self.social(user)?;
        let answer = change(&mut social.items).map_err(AccountError::Social)?;
        if social.items.len() > MAX_SCHEDULE_ITEMS {
            return Err(AccountError::Social(DomainError::Limit(format!(
                "at most {MAX_SCHEDULE_ITEMS} schedule items"
            ))));
        }
        self.write(vec![Self::social_op(user, &social)]).await?;
        Ok(answer)
    }

    /// `POST /me/calendar-feed`: a new secret token (128 random bits, kept
    /// only as its hash); the previous one stops working.
    pub async fn new_feed(&self, user: &UserId) -> Result<String, AccountError> {
        let token = super::tokens::new_refresh_token();
        let hash = super::tokens::token_hash(&token);
        let _guard = self.writes.lock().await;
        let mut social = self.social(user)?;
        let mut ops = Vec::new();
        if let Some(old) = social.feed.replace(hash.clone()) {
            ops.push(AuxOp::Delete {
                space: FEEDS,
                key: old,
            });
        }
        ops.push(AuxOp::Put {
            space: FEEDS,
            key: hash,
            value: user.as_str().as_bytes().to_vec(),
        });
        ops.push(Self::social_op(user, &social));
        self.write(ops).await?;
        Ok(token)
    }

    /// `DELETE /me/calendar-feed`.
    pub async fn revoke_feed(&self, user: &UserId) -> Result<(), AccountError> {
        let _guard = self.writes.lock().await;
        let mut social = self.social(user)?;
        let Some(old) = social.feed.take() else {
            return Ok(());
        };
        let ops = vec![
            AuxOp::Delete {
                space: FEEDS,
                key: old,
            },
            Self::social_op(user, &social),
        ];
        self.write(ops).await
    }

    /// The owner of a feed token, if it is live. The lookup is by the
    /// token's hash, so no comparison of secrets leaks timing.
    pub fn feed_owner(&self, token: &str) -> Result<Option<UserId>, AccountError> {
        let hash = super::tokens::token_hash(token);
        Ok(self
            .store
            .aux_get(FEEDS, &hash)?
            .map(|id| UserId::from(String::from_utf8_lossy(&id).as_ref())))
    }

    /// A user's display name (for requests and friends lists).
    pub fn name_of(&self, id: &UserId) -> Result<Option<String>, AccountError> {
        Ok(self.user(id)?.and_then(|u| u.name))
    }
}
