//! The authorization matrix: every route of the API for each kind of
//! caller: anonymous, the customer who owns the thing, another customer,
//! staff of another venue, the venue's staff, and an admin. A route added
//! to the route table without a row here fails the coverage check.

use booking_engine::http::routes::ROUTES;
use serde_json::{Value, json};

use crate::helpers::*;

const ROLES: [&str; 6] = [
    "anonymous",
    "owner",
    "other customer",
    "other staff",
    "staff",
    "admin",
];

struct World {
    app: TestApp,
    venue: String,
    /// Tokens by role (anonymous: None).
    tokens: [Option<String>; 6],
    owner_id: String,
    /// The other customer, a friend of the owner.
    other_id: String,
    n: std::sync::atomic::AtomicUsize,
    /// Where the fixtures' webhooks deliver.
    receiver: crate::receiver::Receiver,
    /// One webhook with a delivery, shared by the deliveries-log rows
    /// (a venue has at most 16 webhooks).
    logged: tokio::sync::OnceCell<(String, String)>,
}

impl World {
    fn token(&self, role: usize) -> Option<&str> {
        self.tokens[role].as_deref()
    }

    fn fresh(&self) -> usize {
        self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A booking of the owner, then moved by the admin through `steps`.
    async fn booking(&self, steps: &[&str]) -> String {
        let days = 2 + (self.fresh() % 50) as i64;
        let r = self
            .app
            .post(
                &format!("/venues/{}/bookings", self.venue),
                self.token(1),
                &json!({"start": evening_text(days), "party_size": 1}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        let id = body(r).await["id"].as_str().unwrap().to_string();
        for step in steps {
            let r = self
                .app
                .post(
                    &format!("/bookings/{id}/{step}"),
                    Some(&self.app.admin),
                    &json!({}),
                )
                .await;
            assert_eq!(r.status().as_u16(), 200, "{step}");
        }
        id
    }

    async fn hold(&self) -> String {
        let days = 2 + (self.fresh() % 50) as i64;
        let r = self
            .app
            .post(
                &format!("/venues/{}/holds", self.venue),
                self.token(1),
                &json!({"start": evening_text(days), "party_size": 1}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        body(r).await["id"].as_str().unwrap().to_string()
    }

    /// A waitlist entry of the owner (offered at once: the bar is free).
    async fn entry(&self) -> String {
        let start = evening_text(2 + (self.fresh() % 50) as i64);
        let r = self
            .app
            .post(
                &format!("/venues/{}/waitlist", self.venue),
                self.token(1),
                &json!({"date": &start[..10], "party_size": 1, "earliest": start, "latest": start}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        body(r).await["id"].as_str().unwrap().to_string()
    }

    /// A booking for two of `booker` (a role) with `invitee` invited.
    async fn shared(&self, booker: usize, invitee: &str) -> String {
        let days = 2 + (self.fresh() % 50) as i64;
        let r = self
            .app
            .post(
                &format!("/venues/{}/bookings", self.venue),
                self.token(booker),
                &json!({"start": evening_text(days), "party_size": 2}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        let id = body(r).await["id"].as_str().unwrap().to_string();
        let r = self
            .app
            .post(
                &format!("/bookings/{id}/invitations"),
                self.token(booker),
                &json!({"user_id": invitee}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        id
    }

    /// A booking for two of the owner, nobody invited yet.
    async fn booking_for_two(&self) -> String {
        let days = 2 + (self.fresh() % 50) as i64;
        let r = self
            .app
            .post(
                &format!("/venues/{}/bookings", self.venue),
                self.token(1),
                &json!({"start": evening_text(days), "party_size": 2}),
            )
            .await;
        body(r).await["id"].as_str().unwrap().to_string()
    }

    /// A personal schedule item of the owner.
    async fn item(&self) -> String {
        let r = self
            .app
            .post(
                "/me/schedule",
                self.token(1),
                &json!({"title": "Gym", "start": "2030-01-01T08:00:00Z", "end": "2030-01-01T09:00:00Z"}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        body(r).await["id"].as_str().unwrap().to_string()
    }

    /// The path of a fresh calendar feed of the owner.
    async fn feed(&self) -> String {
        let r = self
            .app
            .post("/me/calendar-feed", self.token(1), &json!({}))
            .await;
        let url = body(r).await["url"].as_str().unwrap().to_string();
        url.trim_start_matches("/api/v1").to_string()
    }

    /// A fresh user's friend code.
    async fn stranger_code(&self) -> String {
        let (t, _) = self
            .app
            .register(&format!("stranger{}@example.com", self.fresh()))
            .await;
        body(self.app.get("/me", Some(&t)).await).await["friend_code"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A friend request from a fresh user to the owner.
    async fn request_to_owner(&self) -> String {
        let (t, _) = self
            .app
            .register(&format!("asker{}@example.com", self.fresh()))
            .await;
        let code = body(self.app.get("/me", self.token(1)).await).await["friend_code"]
            .as_str()
            .unwrap()
            .to_string();
        let r = self
            .app
            .post("/friends/requests", Some(&t), &json!({"friend_code": code}))
            .await;
        assert_eq!(r.status().as_u16(), 201);
        body(r).await["id"].as_str().unwrap().to_string()
    }

    /// A webhook of the venue (for `venue.updated` only).
    async fn webhook(&self) -> String {
        let r = self
            .app
            .post(
                &format!("/venues/{}/webhooks", self.venue),
                Some(&self.app.admin),
                &json!({"url": self.receiver.url, "events": ["venue.updated"]}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        body(r).await["id"].as_str().unwrap().to_string()
    }

    /// A fresh webhook with one delivered attempt: (webhook, attempt).
    async fn delivered_attempt(&self) -> (String, String) {
        let hook = self.webhook().await;
        let r = self
            .app
            .patch(
                &format!("/venues/{}", self.venue),
                Some(&self.app.admin),
                &json!({"description": format!("poke {}", self.fresh())}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 200);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let log = body(
                self.app
                    .get(
                        &format!("/webhooks/{hook}/deliveries"),
                        Some(&self.app.admin),
                    )
                    .await,
            )
            .await;
            if let Some(id) = log["items"][0]["id"].as_str() {
                return (hook, id.to_string());
            }
            assert!(std::time::Instant::now() < deadline, "no delivery");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    async fn refresh_token(&self) -> String {
        let r = self
            .app
            .post(
                "/auth/login",
                None,
                &json!({"email": "owner@example.com", "password": "password-123"}),
            )
            .await;
        body(r).await["refresh_token"].as_str().unwrap().to_string()
    }
}

/// One request: method, path under /api/v1, body.
type Call = (reqwest::Method, String, Option<Value>);

async fn call_for(w: &World, method: &str, path: &str) -> Call {
    use reqwest::Method as M;
    let v = &w.venue;
    let n = w.fresh();
    match (method, path) {
        ("post", "/auth/register") => (
            M::POST,
            path.into(),
            Some(json!({"email": format!("new{n}@example.com"), "password": "password-123"})),
        ),
        ("post", "/auth/login") => (
            M::POST,
            path.into(),
            Some(json!({"email": "owner@example.com", "password": "password-123"})),
        ),
        ("post", "/auth/refresh") => (
            M::POST,
            path.into(),
            Some(json!({"refresh_token": w.refresh_token().await})),
        ),
        ("get", "/me") => (M::GET, path.into(), None),
        ("patch", "/me") => (
            M::PATCH,
            path.into(),
            Some(json!({"name": format!("N {n}")})),
        ),
        ("post", "/auth/wechat") => (
            M::POST,
            path.into(),
            Some(json!({"code": format!("good-m{n}")})),
        ),
        ("post", "/me/wechat") => (
            M::POST,
            path.into(),
            Some(json!({"code": format!("good-l{n}")})),
        ),
        ("post", "/venues") => (
            M::POST,
            path.into(),
            Some(restaurant(
                json!([{"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}]),
            )),
        ),
        ("get", "/venues") => (M::GET, path.into(), None),
        ("get", "/venues/{id}") => (M::GET, format!("/venues/{v}"), None),
        ("patch", "/venues/{id}") => (
            M::PATCH,
            format!("/venues/{v}"),
            Some(json!({"name": format!("Renamed {n}")})),
        ),
        ("put", "/venues/{id}/staff/{user_id}") => {
            (M::PUT, format!("/venues/{v}/staff/{}", w.owner_id), None)
        }
        ("delete", "/venues/{id}/staff/{user_id}") => {
            (M::DELETE, format!("/venues/{v}/staff/{}", w.owner_id), None)
        }
        ("get", "/venues/{id}/availability") => (
            M::GET,
            format!(
                "/venues/{v}/availability?date={}&party_size=2",
                &evening_text(2)[..10]
            ),
            None,
        ),
        ("get", "/venues/{id}/guests") => (M::GET, format!("/venues/{v}/guests"), None),
        ("get", "/venues/{id}/guests/{guest_id}") => {
            w.booking(&[]).await;
            (M::GET, format!("/venues/{v}/guests/u.{}", w.owner_id), None)
        }
        ("get", "/venues/{id}/stats") => (
            M::GET,
            format!("/venues/{v}/stats?from={0}&to={0}", &evening_text(2)[..10]),
            None,
        ),
        ("get", "/venues/{id}/bookings") => (
            M::GET,
            format!("/venues/{v}/bookings?date={}", &evening_text(2)[..10]),
            None,
        ),
        ("post", "/venues/{id}/holds") => (
            M::POST,
            format!("/venues/{v}/holds"),
            Some(json!({"start": evening_text(2 + (n % 50) as i64), "party_size": 1})),
        ),
        ("delete", "/holds/{id}") => (M::DELETE, format!("/holds/{}", w.hold().await), None),
        ("post", "/venues/{id}/bookings") => (
            M::POST,
            format!("/venues/{v}/bookings"),
            Some(json!({"start": evening_text(2 + (n % 50) as i64), "party_size": 1})),
        ),
        ("get", "/bookings") => (M::GET, path.into(), None),
        ("get", "/bookings/{id}") => (M::GET, format!("/bookings/{}", w.booking(&[]).await), None),
        ("patch", "/bookings/{id}") => (
            M::PATCH,
            format!("/bookings/{}", w.booking(&[]).await),
            Some(json!({"note": "window"})),
        ),
        ("post", "/bookings/{id}/cancel") => (
            M::POST,
            format!("/bookings/{}/cancel", w.booking(&[]).await),
            None,
        ),
        ("post", "/bookings/{id}/confirm") => (
            M::POST,
            format!("/bookings/{}/confirm", w.booking(&[]).await),
            None,
        ),
        ("post", "/bookings/{id}/seat") => (
            M::POST,
            format!("/bookings/{}/seat", w.booking(&["confirm"]).await),
            None,
        ),
        ("post", "/bookings/{id}/complete") => (
            M::POST,
            format!(
                "/bookings/{}/complete",
                w.booking(&["confirm", "seat"]).await
            ),
            None,
        ),
        ("post", "/bookings/{id}/no-show") => (
            M::POST,
            format!("/bookings/{}/no-show", w.booking(&["confirm"]).await),
            None,
        ),
        ("post", "/venues/{id}/waitlist") => {
            let start = evening_text(2 + (n % 50) as i64);
            (
                M::POST,
                format!("/venues/{v}/waitlist"),
                Some(
                    json!({"date": &start[..10], "party_size": 1, "earliest": start, "latest": start}),
                ),
            )
        }
        ("get", "/venues/{id}/waitlist") => (
            M::GET,
            format!("/venues/{v}/waitlist?date={}", &evening_text(2)[..10]),
            None,
        ),
        ("get", "/waitlist") => (M::GET, path.into(), None),
        ("delete", "/waitlist/{id}") => (M::DELETE, format!("/waitlist/{}", w.entry().await), None),
        ("post", "/waitlist/{id}/decline") => (
            M::POST,
            format!("/waitlist/{}/decline", w.entry().await),
            None,
        ),
        ("post", "/me/friend-code") => (M::POST, path.into(), None),
        ("post", "/friends/requests") => (
            M::POST,
            path.into(),
            Some(json!({"friend_code": w.stranger_code().await})),
        ),
        ("get", "/friends/requests" | "/friends") => (M::GET, path.into(), None),
        ("post", "/friends/requests/{id}/accept") => (
            M::POST,
            format!("/friends/requests/{}/accept", w.request_to_owner().await),
            None,
        ),
        ("post", "/friends/requests/{id}/decline") => (
            M::POST,
            format!("/friends/requests/{}/decline", w.request_to_owner().await),
            None,
        ),
        // Not a friendship of anyone: parting is idempotent (the
        // owner and the other customer stay friends for the rows below).
        ("delete", "/friends/{user_id}") => (M::DELETE, "/friends/nobody".into(), None),
        ("post", "/bookings/{id}/invitations") => (
            M::POST,
            format!("/bookings/{}/invitations", w.booking_for_two().await),
            Some(json!({"user_id": w.other_id})),
        ),
        ("post", "/bookings/{id}/invitations/accept") => (
            M::POST,
            format!(
                "/bookings/{}/invitations/accept",
                w.shared(2, &w.owner_id).await
            ),
            None,
        ),
        ("post", "/bookings/{id}/invitations/decline") => (
            M::POST,
            format!(
                "/bookings/{}/invitations/decline",
                w.shared(2, &w.owner_id).await
            ),
            None,
        ),
        ("delete", "/bookings/{id}/invitations/{user_id}") => (
            M::DELETE,
            format!(
                "/bookings/{}/invitations/{}",
                w.shared(2, &w.owner_id).await,
                w.owner_id
            ),
            None,
        ),
        ("get", "/me/invitations") => (M::GET, path.into(), None),
        ("post", "/me/schedule") => (
            M::POST,
            path.into(),
            Some(
                json!({"title": "Gym", "start": "2030-01-01T08:00:00Z", "end": "2030-01-01T09:00:00Z"}),
            ),
        ),
        ("patch", "/me/schedule/{id}") => (
            M::PATCH,
            format!("/me/schedule/{}", w.item().await),
            Some(json!({"title": "Swim"})),
        ),
        ("delete", "/me/schedule/{id}") => {
            (M::DELETE, format!("/me/schedule/{}", w.item().await), None)
        }
        ("get", "/me/schedule") => (
            M::GET,
            "/me/schedule?from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z".into(),
            None,
        ),
        ("post" | "delete", "/me/calendar-feed") => (
            if method == "post" { M::POST } else { M::DELETE },
            path.into(),
            None,
        ),
        ("get", "/calendar/{file}") => (M::GET, w.feed().await, None),
        ("post" | "get", "/venues/{id}/webhooks") => (
            if method == "post" { M::POST } else { M::GET },
            format!("/venues/{v}/webhooks"),
            (method == "post").then(|| json!({"url": w.receiver.url, "events": ["hold.created"]})),
        ),
        ("delete", "/webhooks/{id}") => {
            (M::DELETE, format!("/webhooks/{}", w.webhook().await), None)
        }
        ("get", "/webhooks/{id}/deliveries") => {
            let (hook, _) = w.logged.get_or_init(|| w.delivered_attempt()).await;
            (M::GET, format!("/webhooks/{hook}/deliveries"), None)
        }
        ("post", "/webhooks/{id}/deliveries/{delivery_id}/retry") => {
            let (hook, attempt) = w.delivered_attempt().await;
            (
                M::POST,
                format!("/webhooks/{hook}/deliveries/{attempt}/retry"),
                Some(json!({})),
            )
        }
        ("get", "/admin/backup") => (M::GET, path.into(), None),
        ("get", "/ws") => (M::GET, path.into(), None),
        other => panic!("the authorization matrix has no row for {other:?}: add one"),
    }
}

/// The expected status for each role, in `ROLES` order.
fn expected(method: &str, path: &str) -> [u16; 6] {
    match (method, path) {
        ("post", "/auth/register" | "/auth/wechat") => [201; 6],
        ("patch", "/me") | ("post", "/me/wechat") => [401, 200, 200, 200, 200, 200],
        ("post", "/auth/login" | "/auth/refresh") => [200; 6],
        ("get", "/me" | "/bookings") => [401, 200, 200, 200, 200, 200],
        ("post", "/venues") => [401, 403, 403, 403, 403, 201],
        ("get", "/venues" | "/venues/{id}" | "/venues/{id}/availability") => [200; 6],
        ("patch", "/venues/{id}") => [401, 403, 403, 403, 200, 200],
        ("put" | "delete", "/venues/{id}/staff/{user_id}") => [401, 403, 403, 403, 403, 204],
        (
            "get",
            "/venues/{id}/bookings"
            | "/venues/{id}/guests"
            | "/venues/{id}/guests/{guest_id}"
            | "/venues/{id}/stats",
        ) => [401, 403, 403, 403, 200, 200],
        ("post", "/venues/{id}/holds" | "/venues/{id}/bookings") => [401, 201, 201, 201, 201, 201],
        ("delete", "/holds/{id}") => [401, 204, 404, 404, 204, 204],
        ("get" | "patch", "/bookings/{id}") | ("post", "/bookings/{id}/cancel") => {
            [401, 200, 404, 404, 200, 200]
        }
        ("post", "/bookings/{id}/invitations") => [401, 201, 404, 404, 403, 403],
        ("post", "/bookings/{id}/invitations/accept" | "/bookings/{id}/invitations/decline") => {
            [401, 200, 404, 404, 404, 404]
        }
        ("delete", "/bookings/{id}/invitations/{user_id}") => [401, 204, 204, 404, 404, 404],
        ("get", "/me/invitations" | "/me/schedule") => [401, 200, 200, 200, 200, 200],
        ("post", "/me/schedule" | "/me/calendar-feed") => [401, 201, 201, 201, 201, 201],
        ("patch", "/me/schedule/{id}") => [401, 200, 404, 404, 404, 404],
        ("delete", "/me/schedule/{id}") => [401, 204, 404, 404, 404, 404],
        ("delete", "/me/calendar-feed") => [401, 204, 204, 204, 204, 204],
        // The URL is the secret: no bearer token needed, any caller holding it reads it.
        ("get", "/calendar/{file}") => [200; 6],
        ("post", _) if path.starts_with("/bookings/{id}/") => [401, 403, 404, 404, 200, 200],
        ("post", "/venues/{id}/waitlist") => [401, 201, 201, 201, 201, 201],
        ("get", "/venues/{id}/waitlist") => [401, 403, 403, 403, 200, 200],
        ("get", "/waitlist") => [401, 200, 200, 200, 200, 200],
        ("delete", "/waitlist/{id}") => [401, 204, 404, 404, 204, 204],
        ("post", "/waitlist/{id}/decline") => [401, 200, 404, 404, 200, 200],
        ("post", "/me/friend-code") | ("get", "/friends/requests" | "/friends") => {
            [401, 200, 200, 200, 200, 200]
        }
        ("post", "/friends/requests") => [401, 201, 201, 201, 201, 201],
        ("post", "/friends/requests/{id}/accept" | "/friends/requests/{id}/decline") => {
            [401, 200, 404, 404, 404, 404]
        }
        ("delete", "/friends/{user_id}") => [401, 204, 204, 204, 204, 204],
        ("get", "/admin/backup") => [401, 403, 403, 403, 403, 200],
        ("post", "/venues/{id}/webhooks") => [401, 403, 403, 403, 201, 201],
        ("get", "/venues/{id}/webhooks") => [401, 403, 403, 403, 200, 200],
        // A webhook's id is not public: others are told it does not exist.
        ("delete", "/webhooks/{id}") => [401, 404, 404, 404, 204, 204],
        ("get", "/webhooks/{id}/deliveries") => [401, 404, 404, 404, 200, 200],
        ("post", "/webhooks/{id}/deliveries/{delivery_id}/retry") => [401, 404, 404, 404, 202, 202],
        // Not a WebSocket handshake: refused alike for everyone (topic
        // rights are checked per subscription, see the ws tests).
        ("get", "/ws") => [400; 6],
        other => panic!("no expectation for {other:?}"),
    }
}

#[actix_rt::test]
async fn every_route_answers_each_kind_of_caller_as_the_contract_says() {
    let wechat = crate::fake_wechat::start();
    let app = spawn_app_with(|s| {
        s.wechat.appid = Some(crate::fake_wechat::APPID.into());
        s.wechat.secret = Some(crate::fake_wechat::SECRET.into());
        s.wechat.api_base = wechat.base.clone();
    })
    .await;
    let mut venue =
        restaurant(json!([{"id": "bar", "name": "Bar", "capacity": 1000, "mode": "shared"}]));
    venue["auto_confirm"] = json!(false);
    // The hold cap has its own test; here the owner places many fixtures.
    venue["max_live_holds_per_customer"] = json!(0);
    venue["max_waitlist_entries_per_customer"] = json!(0);
    let a = app.create_venue(&venue).await;
    let b = app.create_venue(&venue).await;
    let (owner, owner_id) = {
        let r = app
            .post(
                "/auth/register",
                None,
                &json!({"email": "owner@example.com", "password": "password-123"}),
            )
            .await;
        let v = body(r).await;
        (
            v["access_token"].as_str().unwrap().to_string(),
            v["user"]["id"].as_str().unwrap().to_string(),
        )
    };
    let (other, other_id) = app.register("other@example.com").await;
    // The owner and the other customer are friends (shared bookings).
    let code = body(app.get("/me", Some(&other)).await).await["friend_code"]
        .as_str()
        .unwrap()
        .to_string();
    let asked = body(
        app.post(
            "/friends/requests",
            Some(&owner),
            &json!({"friend_code": code}),
        )
        .await,
    )
    .await;
    let r = app
        .post(
            &format!("/friends/requests/{}/accept", asked["id"].as_str().unwrap()),
            Some(&other),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let (other_staff, other_staff_id) = app.register("host-b@example.com").await;
    let (staff, staff_id) = app.register("host-a@example.com").await;
    app.appoint(&a, &staff_id).await;
    app.appoint(&b, &other_staff_id).await;
    let admin = app.admin.clone();
    let world = World {
        app,
        venue: a,
        tokens: [
            None,
            Some(owner),
            Some(other),
            Some(other_staff),
            Some(staff),
            Some(admin),
        ],
        owner_id,
        other_id,
        n: Default::default(),
        receiver: crate::receiver::start(),
        logged: Default::default(),
    };
    let mut failures = Vec::new();
    for route in ROUTES {
        let want = expected(route.method, route.path);
        for (role, name) in ROLES.iter().enumerate() {
            let (method, path, json) = call_for(&world, route.method, route.path).await;
            let r = world
                .app
                .request(method, &path, world.token(role), json.as_ref())
                .await;
            let got = r.status().as_u16();
            if got != want[role] {
                failures.push(format!(
                    "{} {} as {name}: {got}, expected {}",
                    route.method, route.path, want[role]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // A field only an admin may set.
    let path = format!("/venues/{}", world.venue);
    let appoint = json!({"staff": [world.owner_id]});
    for (role, want) in [(1, 403), (2, 403), (3, 403), (4, 403), (5, 200)] {
        let r = world.app.patch(&path, world.token(role), &appoint).await;
        assert_eq!(r.status().as_u16(), want, "staff field as {}", ROLES[role]);
    }
}
