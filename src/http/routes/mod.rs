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
mod openapi;
mod reports;
mod schedule;
pub(crate) mod venues;
mod waitlist;
mod webhooks;

use actix_web::web;

use crate::http::methods::Routes;

/// One documented route.
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// `none`, `optional` or `bearer`.
    pub auth: &'static str,
    pub status: u16,
}

macro_rules! api {
    ($( $method:ident $path:literal => $handler:path, $status:literal, $auth:literal, $summary:literal; )*) => {
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
            $( RouteDoc { method: stringify!($method), path: $path, summary: $summary, auth: $auth, status: $status }, )*
        ];
    };
}

api! {
    post "/auth/register" => auth::register, 201, "none", "Create a customer account and log in";
    post "/auth/login" => auth::login, 200, "none", "Log in with email and password";
    post "/auth/refresh" => auth::refresh, 200, "none", "Trade a refresh token for a new pair (rotation, reuse detection)";
    post "/auth/wechat" => auth::wechat, 201, "none", "Sign in with a mini-program's wx.login code (201 new account, 200 existing)";
    get "/me" => auth::me, 200, "bearer", "The caller, with the venues they are staff of";
    patch "/me" => auth::update_me, 200, "bearer", "Change the caller's name or phone (null clears)";
    post "/me/wechat" => auth::link_wechat, 200, "bearer", "Link WeChat to the caller's account";
    post "/me/friend-code" => friends::new_code, 200, "bearer", "A new friend code (the old one stops working)";
    post "/friends/requests" => friends::ask, 201, "bearer", "Ask someone to be friends by their friend code";
    get "/friends/requests" => friends::requests, 200, "bearer", "Pending friend requests, incoming and outgoing";
    post "/friends/requests/{id}/accept" => friends::accept, 200, "bearer", "Accept a friend request (the one asked)";
    post "/friends/requests/{id}/decline" => friends::decline, 200, "bearer", "Decline a friend request (the one asked)";
    get "/friends" => friends::list, 200, "bearer", "The caller's friends (query: limit, cursor)";
    delete "/friends/{user_id}" => friends::remove, 204, "bearer", "End a friendship (both sides)";
    post "/venues" => venues::create, 201, "bearer", "Create a venue (admin)";
    get "/venues" => discovery::list, 200, "none", "List and find venues (query: q, kind, tag, near=lat,lng, radius_km; paginated)";
    get "/venues/{id}" => venues::get, 200, "none", "A venue";
    patch "/venues/{id}" => venues::update, 200, "bearer", "Change a venue (admin or venue staff); refused if it strands bookings";
    put "/venues/{id}/staff/{user_id}" => venues::add_staff, 204, "bearer", "Add a staff member (admin)";
    delete "/venues/{id}/staff/{user_id}" => venues::remove_staff, 204, "bearer", "Remove a staff member (admin)";
    get "/venues/{id}/availability" => venues::availability, 200, "none", "A day's availability for a party size (query: date, party_size)";
    get "/venues/{id}/guests" => guests::list, 200, "bearer", "The venue's guests with their history (staff; query: q, limit, cursor)";
    get "/venues/{id}/guests/{guest_id}" => guests::get, 200, "bearer", "One guest with their bookings at this venue (staff)";
    get "/venues/{id}/stats" => reports::stats, 200, "bearer", "Daily figures (staff; query: from, to, at most 366 days; Accept: text/csv for CSV)";
    get "/venues/{id}/bookings" => venues::day_sheet, 200, "bearer", "The day sheet (staff; query: date, status, limit, cursor)";
    post "/venues/{id}/holds" => holds::place, 201, "bearer", "Hold capacity (honours Idempotency-Key)";
    delete "/holds/{id}" => holds::release, 204, "bearer", "Release a hold (owner or staff)";
    post "/venues/{id}/bookings" => bookings::create, 201, "bearer", "Book a start or convert a hold (honours Idempotency-Key)";
    get "/bookings" => bookings::list_own, 200, "bearer", "The caller's bookings (query: status, from, to, limit, cursor)";
    get "/bookings/{id}" => bookings::get, 200, "bearer", "A booking (owner, venue staff, admin)";
    patch "/bookings/{id}" => bookings::update, 200, "bearer", "Reschedule, resize or annotate a booking atomically";
    post "/bookings/{id}/cancel" => bookings::cancel, 200, "bearer", "Cancel (owner or staff)";
    post "/bookings/{id}/confirm" => bookings::confirm, 200, "bearer", "Confirm a pending booking (staff)";
    post "/bookings/{id}/seat" => bookings::seat, 200, "bearer", "Seat a confirmed booking (staff)";
    post "/bookings/{id}/complete" => bookings::complete, 200, "bearer", "Complete a seated booking (staff)";
    post "/bookings/{id}/no-show" => bookings::no_show, 200, "bearer", "Mark a confirmed booking as a no-show (staff)";
    post "/venues/{id}/waitlist" => waitlist::join, 201, "bearer", "Join the waitlist for a window of starts (honours Idempotency-Key)";
    get "/venues/{id}/waitlist" => waitlist::list_venue, 200, "bearer", "A date's waitlist in position order, with guests (staff; query: date, limit, cursor)";
    get "/waitlist" => waitlist::list_own, 200, "bearer", "The caller's waitlist entries, newest first (query: limit, cursor)";
    delete "/waitlist/{id}" => waitlist::leave, 204, "bearer", "Leave the waitlist (owner or staff)";
    post "/waitlist/{id}/decline" => waitlist::decline, 200, "bearer", "Decline an offer; it goes to the next in line";
    post "/bookings/{id}/invitations" => invitations::invite, 201, "bearer", "Invite a friend to the booking (its customer)";
    post "/bookings/{id}/invitations/accept" => invitations::accept, 200, "bearer", "Accept an invitation (the invitee)";
    post "/bookings/{id}/invitations/decline" => invitations::decline, 200, "bearer", "Decline an invitation (the invitee)";
    delete "/bookings/{id}/invitations/{user_id}" => invitations::remove, 204, "bearer", "Withdraw an invitation (the customer or the invitee)";
    post "/me/schedule" => schedule::add, 201, "bearer", "Add a personal schedule item";
    patch "/me/schedule/{id}" => schedule::update, 200, "bearer", "Change a personal schedule item (null clears the note)";
    delete "/me/schedule/{id}" => schedule::remove, 204, "bearer", "Remove a personal schedule item";
    get "/me/schedule" => schedule::list, 200, "bearer", "Bookings, shared bookings and personal items by start (query: from, to)";
    post "/me/calendar-feed" => schedule::new_feed, 201, "bearer", "A secret calendar-feed URL (again: a new one, the old one 404)";
    delete "/me/calendar-feed" => schedule::revoke_feed, 204, "bearer", "Revoke the calendar feed";
    get "/calendar/{file}" => schedule::feed, 200, "none", "The calendar feed (the URL from POST /me/calendar-feed, ending in .ics)";
    get "/me/invitations" => invitations::pending, 200, "bearer", "The caller's pending invitations";
    post "/venues/{id}/webhooks" => webhooks::create, 201, "bearer", "Add a webhook endpoint (staff); the signing secret is shown only in this answer";
    get "/venues/{id}/webhooks" => webhooks::list, 200, "bearer", "The venue's webhook endpoints, without secrets (staff)";
    delete "/webhooks/{id}" => webhooks::delete, 204, "bearer", "Remove a webhook endpoint, its queue and its log (staff)";
    get "/webhooks/{id}/deliveries" => webhooks::deliveries, 200, "bearer", "Delivery attempts, newest first (staff; query: limit, cursor)";
    post "/webhooks/{id}/deliveries/{delivery_id}/retry" => webhooks::retry, 202, "bearer", "Deliver an attempt's event again (staff; 409 while it is still being tried)";
    get "/admin/backup" => admin::backup, 200, "bearer", "A consistent backup of the whole store, streamed (admin)";
    get "/ws" => crate::http::ws::upgrade, 101, "optional", "Live push over WebSocket (token by header or access_token query)";
}
