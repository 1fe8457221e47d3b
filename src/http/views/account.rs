//! Accounts, sessions, friends and the personal schedule.

use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::{Role, Session, User};
use crate::domain::social::{FriendRequest, ScheduleItem};
use crate::http::dto::utc;
use crate::http::views::{BookingView, LineKindName, RequestStatusName, RoleName};

/// The user object (API v1.1 §1): never a password hash, an openid or a
/// session key.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    /// `null` for an account made by WeChat sign-in.
    pub email: Option<String>,
    pub name: Option<String>,
    #[schema(value_type = RoleName)]
    pub role: &'static str,
    pub has_wechat: bool,
    pub phone: Option<String>,
    /// Give it to a friend so they can send a friend request.
    pub friend_code: Option<String>,
    /// `GET /me` only: the venues whose staff list names the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_of: Option<Vec<String>>,
}

impl UserView {
    pub fn new(u: &User) -> Self {
        UserView {
            id: u.id.to_string(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: match u.role {
                Role::Customer => "customer",
                Role::Admin => "admin",
            },
            has_wechat: u.has_wechat(),
            phone: u.phone.clone(),
            friend_code: u.friend_code.clone(),
            staff_of: None,
        }
    }
}

/// A signed-in session: the user and a token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub user: UserView,
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Single use: `POST /auth/refresh` trades it for a new pair.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl SessionView {
    pub fn new(s: &Session) -> Self {
        SessionView {
            user: UserView::new(&s.user),
            access_token: s.access_token.clone(),
            refresh_token: s.refresh_token.clone(),
            expires_in: s.expires_in,
        }
    }
}

/// `POST /me/friend-code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FriendCodeView {
    pub friend_code: String,
}

/// One side of a friend request or a friendship.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub user_id: String,
    pub name: Option<String>,
}

/// A friend request.
#[derive(Debug, Serialize, ToSchema)]
pub struct FriendRequestView {
    pub id: String,
    pub from: PersonView,
    pub to: PersonView,
    #[schema(value_type = RequestStatusName)]
    pub status: &'static str,
    pub created_at: String,
    /// In `GET /friends/requests`: `incoming` or `outgoing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<&'static str>,
}

impl FriendRequestView {
    pub fn new(r: &FriendRequest, from: PersonView, to: PersonView) -> Self {
        FriendRequestView {
            id: r.id.clone(),
            from,
            to,
            status: r.status.as_str(),
            created_at: utc(r.created_at),
            direction: None,
        }
    }
}

/// A friend.
#[derive(Debug, Serialize, ToSchema)]
pub struct FriendView {
    pub user_id: String,
    pub name: Option<String>,
    pub since: String,
}

/// A personal schedule item, private to its owner (instants in UTC).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleItemView {
    pub id: String,
    pub title: String,
    pub start: String,
    pub end: String,
    pub note: Option<String>,
    pub version: u32,
}

impl ScheduleItemView {
    pub fn new(i: &ScheduleItem) -> Self {
        ScheduleItemView {
            id: i.id.clone(),
            title: i.title.clone(),
            start: utc(i.start),
            end: utc(i.end),
            note: i.note.clone(),
            version: i.version,
        }
    }
}

/// One line of `GET /me/schedule`: the caller's booking, a booking shared
/// with them, or a personal item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleLineView {
    #[schema(value_type = LineKindName)]
    pub kind: &'static str,
    pub start: String,
    pub end: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<ScheduleItemView>,
}

/// `POST /me/calendar-feed`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedView {
    /// Secret: whoever has it reads the caller's schedule.
    pub url: String,
}
