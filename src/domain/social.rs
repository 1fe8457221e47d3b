//! Friends and a person's own schedule (API v1.1 §6): the records and the
//! rules of who may ask, answer and see what. Pure: the accounts service
//! stores them and hands the state to these functions.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::time::micros;
use crate::domain::{DomainError, UserId};

/// Most friends one account may have.
pub const MAX_FRIENDS: usize = 1000;
/// Most pending requests (in and out) one account may have.
pub const MAX_PENDING_REQUESTS: usize = 200;
/// Most personal schedule items one account may keep.
pub const MAX_SCHEDULE_ITEMS: usize = 2000;
/// Unknown friend codes one user may try per hour before 429 (§12).
pub const MAX_UNKNOWN_CODES_PER_HOUR: u32 = 10;

/// Where a friend request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Accepted,
    Declined,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
        }
    }
}

/// One user asking another to be friends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendRequest {
    pub id: String,
    pub from: UserId,
    pub to: UserId,
    pub status: RequestStatus,
    #[serde(with = "micros")]
    pub created_at: Timestamp,
}

/// A friendship as one side keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Friend {
    pub user_id: UserId,
    #[serde(with = "micros")]
    pub since: Timestamp,
}

/// A personal schedule item (日程), private to its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleItem {
    pub id: String,
    pub title: String,
    #[serde(with = "micros")]
    pub start: Timestamp,
    #[serde(with = "micros")]
    pub end: Timestamp,
    pub note: Option<String>,
    /// Grows with every change (the feed's `SEQUENCE`).
    pub version: u32,
}

/// One account's social state: its friends, its pending requests (by id,
/// in and out), its schedule items and its calendar feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Social {
    pub friends: Vec<Friend>,
    pub requests: Vec<String>,
    pub items: Vec<ScheduleItem>,
    /// The hash of the live feed token, if any.
    pub feed: Option<Vec<u8>>,
}

impl Social {
    pub fn is_friend(&self, user: &UserId) -> bool {
        self.friends.iter().any(|f| &f.user_id == user)
    }
}

/// What a new request from `from` to `to` does, given both sides' state
/// and a pending request the other way, if any.
#[derive(Debug, PartialEq, Eq)]
pub enum Asking {
    /// Store a new pending request.
    New,
    /// The other side asked first: accept theirs.
    AcceptTheirs(String),
}

/// The rules of `POST /friends/requests`.
pub fn ask(
    from: &UserId,
    to: &UserId,
    mine: &Social,
    pending: &[FriendRequest],
) -> Result<Asking, DomainError> {
    if from == to {
        return Err(DomainError::Conflict("that is your own friend code".into()));
    }
    if mine.is_friend(to) {
        return Err(DomainError::Conflict("you are friends already".into()));
    }
    if let Some(theirs) = pending
        .iter()
        .find(|r| &r.from == to && &r.to == from && r.status == RequestStatus::Pending)
    {
        return Ok(Asking::AcceptTheirs(theirs.id.clone()));
    }
    if pending
        .iter()
        .any(|r| &r.from == from && &r.to == to && r.status == RequestStatus::Pending)
    {
        return Err(DomainError::Conflict("you asked already".into()));
    }
    if mine.friends.len() >= MAX_FRIENDS || mine.requests.len() >= MAX_PENDING_REQUESTS {
        return Err(DomainError::Limit(
            "too many friends or pending requests".into(),
        ));
    }
    Ok(Asking::New)
}

/// The rules of accepting or declining: only the addressee answers, once.
pub fn answer(request: &FriendRequest, caller: &UserId) -> Result<(), DomainError> {
    if &request.to != caller {
        return if &request.from == caller {
            Err(DomainError::Forbidden("only the one asked may answer"))
        } else {
            Err(DomainError::NotFound("friend request"))
        };
    }
    if request.status != RequestStatus::Pending {
        return Err(DomainError::Conflict(format!(
            "the request was {} already",
            request.status.as_str()
        )));
    }
    Ok(())
}

/// Checks a schedule item's fields.
pub fn check_item(
    title: &str,
    start: Timestamp,
    end: Timestamp,
    note: Option<&str>,
) -> Result<(), DomainError> {
    let len = title.trim().chars().count();
    if len == 0 || len > 200 {
        return Err(DomainError::invalid("title", "must be 1 to 200 characters"));
    }
    if end <= start {
        return Err(DomainError::invalid("end", "must be after start"));
    }
    if end.duration_since(start) > jiff::SignedDuration::from_hours(24 * 31) {
        return Err(DomainError::invalid("end", "an item lasts at most 31 days"));
    }
    if note.is_some_and(|n| n.chars().count() > 1000) {
        return Err(DomainError::invalid(
            "note",
            "must be at most 1000 characters",
        ));
    }
    Ok(())
}

/// Checks a schedule window: both ends given, `from` before `to`, at most
/// 92 days apart (§6).
pub fn check_window(from: Timestamp, to: Timestamp) -> Result<(), DomainError> {
    if to <= from {
        return Err(DomainError::invalid("to", "must be after from"));
    }
    if to.duration_since(from) > jiff::SignedDuration::from_hours(24 * 92) {
        return Err(DomainError::invalid("to", "at most 92 days after from"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, from: &str, to: &str) -> FriendRequest {
        FriendRequest {
            id: id.into(),
            from: UserId::from(from),
            to: UserId::from(to),
            status: RequestStatus::Pending,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn asking_follows_the_rules_of_section_six() {
        let (ann, bob) = (UserId::from("ann"), UserId::from("bob"));
        let none = Social::default();
        assert_eq!(ask(&ann, &bob, &none, &[]), Ok(Asking::New));
        assert!(matches!(
            ask(&ann, &ann, &none, &[]),
            Err(DomainError::Conflict(_))
        ));
        let friends = Social {
            friends: vec![Friend {
                user_id: bob.clone(),
                since: Timestamp::UNIX_EPOCH,
            }],
            ..Social::default()
        };
        assert!(matches!(
            ask(&ann, &bob, &friends, &[]),
            Err(DomainError::Conflict(_))
        ));
        let theirs = [req("r1", "bob", "ann")];
        assert_eq!(
            ask(&ann, &bob, &none, &theirs),
            Ok(Asking::AcceptTheirs("r1".into()))
        );
        let mine = [req("r2", "ann", "bob")];
        assert!(matches!(
            ask(&ann, &bob, &none, &mine),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn only_the_addressee_answers_and_only_once() {
        let mut r = req("r1", "ann", "bob");
        assert!(answer(&r, &UserId::from("bob")).is_ok());
        assert!(matches!(
            answer(&r, &UserId::from("ann")),
            Err(DomainError::Forbidden(_))
        ));
        assert_eq!(
            answer(&r, &UserId::from("eve")),
            Err(DomainError::NotFound("friend request"))
        );
        r.status = RequestStatus::Accepted;
        assert!(matches!(
            answer(&r, &UserId::from("bob")),
            Err(DomainError::Conflict(_))
        ));
    }
}
