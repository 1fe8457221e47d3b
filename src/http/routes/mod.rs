//! The routes of API.md, declared once: the same table registers them with
//! actix-web and lists them in the OpenAPI document.

mod admin;
mod auth;
mod bookings;
mod discovery;
mod friends;
mod guests;
mod holds;
mod invitations;
pub(crate) mod openapi;
mod params;
mod reports;
mod schedule;
pub(crate) mod venues;
mod waitlist;
mod webhooks;

use actix_web::web;

use crate::http::methods::Routes;
use crate::http::views::*;
use crate::http::{dto, ws};

/// One documented route.
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// `none`, `optional` or `bearer`.
    pub auth: &'static str,
    pub status: u16,
    /// The handler's path, like `bookings::create`: the operation's id and tag.
    pub handler: &'static str,
    pub tag: &'static str,
    /// The request body's schema.
    pub request: Option<SchemaFn>,
    /// The success body's schema (none: no body, or `media` is not JSON).
    pub response: Option<SchemaFn>,
    pub query: &'static [params::Param],
    /// The success body's media type.
    pub media: &'static str,
    /// Honours `Idempotency-Key`.
    pub idempotent: bool,
}

/// Adds a type's schema to the components and returns where it is used.
pub type SchemaFn = fn(&mut openapi::Schemas) -> serde_json::Value;

/// The module of a handler path, as the tag its operations are grouped by.
const fn tag_of(handler: &'static str) -> &'static str {
    let bytes = handler.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' {
            let (head, _) = bytes.split_at(i);
            return match std::str::from_utf8(head) {
                Ok(tag) => tag,
                Err(_) => handler,
            };
        }
        i += 1;
    }
    handler
}

macro_rules! opt_schema {
    () => {
        None
    };
    ($t:ty) => {
        Some(openapi::schema_of::<$t> as SchemaFn)
    };
}

macro_rules! or_default {
    ($default:expr) => {
        $default
    };
    ($default:expr, $value:expr) => {
        $value
    };
}

macro_rules! api {
    ($( $method:ident $path:literal => $handler:path, $status:literal, $auth:literal, $summary:literal
        $(, body $req:ty)? $(, answer $resp:ty)? $(, page $item:ty)? $(, query $query:expr)? $(, media $media:literal)? $(, idempotent = $idempotent:literal)? ; )*) => {
        /// Registers every route under the API's base path: `HEAD` with
        /// each `GET`, 405 for the methods a path does not serve.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            let routes = Routes::new();
            $( let routes = routes.add($path, stringify!($method), web::$method().to($handler));
               let routes = if stringify!($method) == "get" {
                   routes.add($path, "head", web::head().to($handler))
               } else {
                   routes
               }; )*
            let routes = crate::get_and_head!(routes, "/openapi.json", openapi::document);
            routes.register(cfg);
        }

        /// Every route, for the OpenAPI document.
        pub const ROUTES: &[RouteDoc] = &[
            $( RouteDoc {
                method: stringify!($method),
                path: $path,
                summary: $summary,
                auth: $auth,
                status: $status,
                handler: stringify!($handler),
                tag: tag_of(stringify!($handler)),
                request: opt_schema!($($req)?),
                response: or_default!(opt_schema!($($resp)?) $(, Some(openapi::page_of::<$item> as SchemaFn))?),
                query: or_default!(&[] $(, $query)?),
                media: or_default!("application/json" $(, $media)?),
                idempotent: or_default!(false $(, $idempotent)?),
            }, )*
        ];
    };
}

api! {
    post "/auth/register" => auth::register, 201, "none", "Create a customer account and log in", body auth::Register, answer SessionView;
    post "/auth/login" => auth::login, 200, "none", "Log in with email and password", body auth::Login, answer SessionView;
    post "/auth/refresh" => auth::refresh, 200, "none", "Trade a refresh token for a new pair (rotation, reuse detection)", body auth::Refresh, answer SessionView;
    post "/auth/wechat" => auth::wechat, 201, "none", "Sign in with a mini-program's wx.login code (201 new account, 200 existing)", body auth::WeChatCode, answer SessionView;
    get "/me" => auth::me, 200, "bearer", "The caller, with the venues they are staff of", answer UserView;
    patch "/me" => auth::update_me, 200, "bearer", "Change the caller's name or phone (null clears)", body auth::ProfilePatch, answer UserView;
    post "/me/wechat" => auth::link_wechat, 200, "bearer", "Link WeChat to the caller's account", body auth::WeChatCode, answer UserView;
    post "/me/friend-code" => friends::new_code, 200, "bearer", "A new friend code (the old one stops working)", answer FriendCodeView;
    post "/friends/requests" => friends::ask, 201, "bearer", "Ask someone to be friends by their friend code", body friends::RequestIn, answer FriendRequestView;
    get "/friends/requests" => friends::requests, 200, "bearer", "Pending friend requests, incoming and outgoing", page FriendRequestView, query params::PAGE;
    post "/friends/requests/{id}/accept" => friends::accept, 200, "bearer", "Accept a friend request (the one asked)", answer FriendRequestView;
    post "/friends/requests/{id}/decline" => friends::decline, 200, "bearer", "Decline a friend request (the one asked)", answer FriendRequestView;
    get "/friends" => friends::list, 200, "bearer", "The caller's friends (query: limit, cursor)", page FriendView, query params::PAGE;
    delete "/friends/{user_id}" => friends::remove, 204, "bearer", "End a friendship (both sides)";
    post "/venues" => venues::create, 201, "bearer", "Create a venue (admin)", body dto::VenueIn, answer VenueView;
    get "/venues" => discovery::list, 200, "none", "List and find venues (query: q, kind, tag, near=lat,lng, radius_km; paginated)", page VenueView, query params::DISCOVERY;
    get "/venues/{id}" => venues::get, 200, "none", "A venue", answer VenueView;
    patch "/venues/{id}" => venues::update, 200, "bearer", "Change a venue (admin or venue staff); refused if it strands bookings", body dto::VenuePatchIn, answer VenueView;
    put "/venues/{id}/staff/{user_id}" => venues::add_staff, 204, "bearer", "Add a staff member (admin)";
    delete "/venues/{id}/staff/{user_id}" => venues::remove_staff, 204, "bearer", "Remove a staff member (admin)";
    get "/venues/{id}/availability" => venues::availability, 200, "none", "A day's availability for a party size (query: date, party_size)", answer AvailabilityView, query params::AVAILABILITY;
    get "/venues/{id}/guests" => guests::list, 200, "bearer", "The venue's guests with their history (staff; query: q, limit, cursor)", page GuestSummaryView, query params::GUESTS;
    get "/venues/{id}/guests/{guest_id}" => guests::get, 200, "bearer", "One guest with their bookings at this venue (staff)", answer GuestSummaryView;
    get "/venues/{id}/stats" => reports::stats, 200, "bearer", "Daily figures (staff; query: from, to, at most 366 days; Accept: text/csv for CSV)", answer StatsView, query params::STATS;
    get "/venues/{id}/bookings" => venues::day_sheet, 200, "bearer", "The day sheet (staff; query: date, status, limit, cursor)", page BookingView, query params::DAY_SHEET;
    post "/venues/{id}/holds" => holds::place, 201, "bearer", "Hold capacity (honours Idempotency-Key)", body holds::HoldIn, answer HoldView, idempotent = true;
    delete "/holds/{id}" => holds::release, 204, "bearer", "Release a hold (owner or staff)";
    post "/venues/{id}/bookings" => bookings::create, 201, "bearer", "Book a start or convert a hold (honours Idempotency-Key)", body bookings::BookingIn, answer BookingView, idempotent = true;
    get "/bookings" => bookings::list_own, 200, "bearer", "The caller's bookings (query: status, from, to, limit, cursor)", page BookingView, query params::OWN_BOOKINGS;
    get "/bookings/{id}" => bookings::get, 200, "bearer", "A booking (owner, venue staff, admin)", answer BookingView;
    patch "/bookings/{id}" => bookings::update, 200, "bearer", "Reschedule, resize or annotate a booking atomically", body bookings::BookingPatch, answer BookingView;
    post "/bookings/{id}/cancel" => bookings::cancel, 200, "bearer", "Cancel (owner or staff)", answer BookingView;
    post "/bookings/{id}/confirm" => bookings::confirm, 200, "bearer", "Confirm a pending booking (staff)", answer BookingView;
    post "/bookings/{id}/seat" => bookings::seat, 200, "bearer", "Seat a confirmed booking (staff)", answer BookingView;
    post "/bookings/{id}/complete" => bookings::complete, 200, "bearer", "Complete a seated booking (staff)", answer BookingView;
    post "/bookings/{id}/no-show" => bookings::no_show, 200, "bearer", "Mark a confirmed booking as a no-show (staff)", answer BookingView;
    post "/venues/{id}/waitlist" => waitlist::join, 201, "bearer", "Join the waitlist for a window of starts (honours Idempotency-Key)", body waitlist::EntryIn, answer EntryView, idempotent = true;
    get "/venues/{id}/waitlist" => waitlist::list_venue, 200, "bearer", "A date's waitlist in position order, with guests (staff; query: date, limit, cursor)", page EntryView, query params::WAITLIST;
    get "/waitlist" => waitlist::list_own, 200, "bearer", "The caller's waitlist entries, newest first (query: limit, cursor)", page EntryView, query params::PAGE;
    delete "/waitlist/{id}" => waitlist::leave, 204, "bearer", "Leave the waitlist (owner or staff)";
    post "/waitlist/{id}/decline" => waitlist::decline, 200, "bearer", "Decline an offer; it goes to the next in line", answer EntryView;
    post "/bookings/{id}/invitations" => invitations::invite, 201, "bearer", "Invite a friend to the booking (its customer)", body invitations::InviteIn, answer InvitationView;
    post "/bookings/{id}/invitations/accept" => invitations::accept, 200, "bearer", "Accept an invitation (the invitee)", answer InvitationView;
    post "/bookings/{id}/invitations/decline" => invitations::decline, 200, "bearer", "Decline an invitation (the invitee)", answer InvitationView;
    delete "/bookings/{id}/invitations/{user_id}" => invitations::remove, 204, "bearer", "Withdraw an invitation (the customer or the invitee)";
    post "/me/schedule" => schedule::add, 201, "bearer", "Add a personal schedule item", body schedule::ItemIn, answer ScheduleItemView;
    patch "/me/schedule/{id}" => schedule::update, 200, "bearer", "Change a personal schedule item (null clears the note)", body schedule::ItemPatch, answer ScheduleItemView;
    delete "/me/schedule/{id}" => schedule::remove, 204, "bearer", "Remove a personal schedule item";
    get "/me/schedule" => schedule::list, 200, "bearer", "Bookings, shared bookings and personal items by start (query: from, to)", page ScheduleLineView, query params::SCHEDULE;
    post "/me/calendar-feed" => schedule::new_feed, 201, "bearer", "A secret calendar-feed URL (again: a new one, the old one 404)", answer FeedView;
    delete "/me/calendar-feed" => schedule::revoke_feed, 204, "bearer", "Revoke the calendar feed";
    get "/calendar/{file}" => schedule::feed, 200, "none", "The calendar feed (the URL from POST /me/calendar-feed, ending in .ics)", media "text/calendar";
    get "/me/invitations" => invitations::pending, 200, "bearer", "The caller's pending invitations", page InvitationView, query params::PAGE;
    post "/venues/{id}/webhooks" => webhooks::create, 201, "bearer", "Add a webhook endpoint (staff); the signing secret is shown only in this answer", body webhooks::WebhookIn, answer WebhookView;
    get "/venues/{id}/webhooks" => webhooks::list, 200, "bearer", "The venue's webhook endpoints, without secrets (staff)", page WebhookView;
    delete "/webhooks/{id}" => webhooks::delete, 204, "bearer", "Remove a webhook endpoint, its queue and its log (staff)";
    get "/webhooks/{id}/deliveries" => webhooks::deliveries, 200, "bearer", "Delivery attempts, newest first (staff; query: limit, cursor)", page AttemptView, query params::PAGE;
    post "/webhooks/{id}/deliveries/{delivery_id}/retry" => webhooks::retry, 202, "bearer", "Deliver an attempt's event again (staff; 409 while it is still being tried)", answer AttemptView;
    get "/admin/backup" => admin::backup, 200, "bearer", "A consistent backup of the whole store, streamed (admin)", media "application/octet-stream";
    get "/ws" => ws::upgrade, 101, "optional", "Live push over WebSocket (token by header or access_token query)", query params::WS;
}
