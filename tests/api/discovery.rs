//! Venue details and discovery (API v1.1 §2) through the real server.

use serde_json::{Value, json};

use crate::helpers::*;

fn table() -> Value {
    json!([{"id": "t1", "name": "Table 1", "capacity": 4, "mode": "exclusive"}])
}

/// A restaurant with details.
fn with(name: &str, details: Value) -> Value {
    let mut v = restaurant(table());
    v["name"] = json!(name);
    for (k, val) in details.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

const BUND: (f64, f64) = (31.2400, 121.4900);

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/venues?{query}"), None).await;
    assert_eq!(r.status().as_u16(), 200, "{query}");
    body(r).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

#[actix_rt::test]
async fn details_are_stored_shown_patched_and_validated() {
    let app = spawn_app().await;
    let details = json!({
        "description": "Cantonese classics since 1998", "address": "88 Zhongshan East 1st Rd",
        "phone": "+86 21 6321 0000", "cuisine": "Cantonese", "tags": ["dim sum", "river view"],
        "price_level": 3, "location": {"lat": BUND.0, "lng": BUND.1},
        "images": ["https://img.example.com/lotus/1.jpg"],
    });
    let r = app
        .post("/venues", Some(&app.admin), &with("Lotus", details))
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let created = body(r).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["phone"], "+862163210000");
    assert_eq!(created["tags"], json!(["dim sum", "river view"]));
    assert_eq!(created["location"], json!({"lat": BUND.0, "lng": BUND.1}));
    let shown = body(app.get(&format!("/venues/{id}"), None).await).await;
    for key in ["description", "address", "cuisine", "price_level", "images"] {
        assert_eq!(shown[key], created[key], "{key}");
    }

    // Each broken rule is 422 naming its field, and changes nothing.
    let path = format!("/venues/{id}");
    let cases = [
        (json!({"description": "x".repeat(2001)}), "description"),
        (json!({"address": "x".repeat(301)}), "address"),
        (json!({"cuisine": "x".repeat(61)}), "cuisine"),
        (json!({"phone": "021-6321"}), "phone"),
        (json!({"tags": vec!["t"; 21]}), "tags"),
        (json!({"tags": ["ok", "x".repeat(31)]}), "tags[1]"),
        (json!({"price_level": 5}), "price_level"),
        (json!({"price_level": 0}), "price_level"),
        (json!({"location": {"lat": 91, "lng": 0}}), "location.lat"),
        (json!({"location": {"lat": 0, "lng": -181}}), "location.lng"),
        (
            json!({"images": ["http://img.example.com/a.jpg"]}),
            "images[0]",
        ),
        (
            json!({"images": vec!["https://a.example/x.jpg"; 11]}),
            "images",
        ),
    ];
    for (patch, field) in cases {
        let r = app.patch(&path, Some(&app.admin), &patch).await;
        assert_eq!(r.status().as_u16(), 422, "{patch}");
        assert_eq!(body(r).await["error"]["details"]["field"], field, "{patch}");
    }
    let r = app
        .post(
            "/venues",
            Some(&app.admin),
            &with("Bad", json!({"price_level": 9})),
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let unchanged = body(app.get(&path, None).await).await;
    assert_eq!(unchanged["price_level"], 3);
    assert_eq!(unchanged["tags"], created["tags"]);

    // null clears, an omitted field stays; staff of the venue may patch.
    let (staff, staff_id) = app.register("host@example.com").await;
    app.appoint(&id, &staff_id).await;
    let r = app
        .patch(
            &path,
            Some(&staff),
            &json!({"description": null, "price_level": 2, "tags": null}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let patched = body(r).await;
    assert_eq!(patched["description"], Value::Null);
    assert_eq!(patched["tags"], json!([]));
    assert_eq!(patched["price_level"], 2);
    assert_eq!(patched["cuisine"], "Cantonese");
    let (customer, _) = app.register("guest@example.com").await;
    let r = app
        .patch(&path, Some(&customer), &json!({"cuisine": "Fake"}))
        .await;
    assert_eq!(r.status().as_u16(), 403);
}

#[actix_rt::test]
async fn discovery_filters_by_text_kind_tag_and_distance_from_memory() {
    let app = spawn_app().await;
    let lotus = with(
        "Lotus Garden",
        json!({"cuisine": "Cantonese", "tags": ["Dim Sum"], "address": "88 Zhongshan Rd",
               "location": {"lat": BUND.0, "lng": BUND.1}}),
    );
    let spice = with(
        "Red Lantern",
        json!({"cuisine": "Sichuan", "tags": ["spicy"], "address": "1 Nanjing West Rd",
               "location": {"lat": 31.2230, "lng": 121.4450}}),
    );
    let mut clinic = with(
        "Dr Li's Clinic",
        json!({"address": "5 Wangfujing", "location": {"lat": 39.9042, "lng": 116.4074}}),
    );
    clinic["kind"] = json!("calendar");
    let nowhere = with("Pop-up Kitchen", json!({"cuisine": "Fusion"}));
    for v in [&lotus, &spice, &clinic, &nowhere] {
        app.create_venue(v).await;
    }

    assert_eq!(names(&app, "q=canton").await, ["Lotus Garden"]);
    assert_eq!(
        names(&app, "q=SPICY").await,
        ["Red Lantern"],
        "a tag, any case"
    );
    assert_eq!(
        names(&app, "q=nanjing").await,
        ["Red Lantern"],
        "the address"
    );
    assert_eq!(names(&app, "q=lantern").await, ["Red Lantern"], "the name");
    assert_eq!(names(&app, "kind=calendar").await, ["Dr Li's Clinic"]);
    assert_eq!(names(&app, "tag=dim%20sum").await, ["Lotus Garden"]);
    assert_eq!(
        names(&app, "tag=dim").await,
        Vec::<String>::new(),
        "a tag is whole"
    );
    assert_eq!(names(&app, "q=rd&kind=restaurant").await.len(), 2);
    assert_eq!(names(&app, "").await.len(), 4);

    // Nearest first, each with its distance; none without a location.
    let near = format!("near={},{}", BUND.0, BUND.1);
    let r = body(app.get(&format!("/venues?{near}"), None).await).await;
    let items = r["items"].as_array().unwrap();
    let got: Vec<(&str, f64)> = items
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["distance_km"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], ("Lotus Garden", 0.0));
    assert_eq!(got[1].0, "Red Lantern");
    assert!((4.0..5.0).contains(&got[1].1), "{got:?}");
    assert_eq!(
        names(&app, &format!("{near}&radius_km=1")).await,
        ["Lotus Garden"]
    );
    assert_eq!(
        names(&app, &format!("{near}&radius_km=100")).await.len(),
        2,
        "Beijing is 1,000 km away"
    );
    assert_eq!(
        names(&app, &format!("{near}&q=sichuan")).await,
        ["Red Lantern"]
    );

    // Pages of a near search follow the distance order.
    let first = body(app.get(&format!("/venues?{near}&limit=1"), None).await).await;
    assert_eq!(first["items"][0]["name"], "Lotus Garden");
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = body(
        app.get(
            &format!("/venues?{near}&limit=1&cursor={}", urlencode(&cursor)),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(second["items"][0]["name"], "Red Lantern");
    assert_eq!(second["next_cursor"], Value::Null);

    for (query, field) in [
        ("near=31.2", "near"),
        ("near=abc,def", "near"),
        ("near=95,10", "near.lat"),
        (&format!("{near}&radius_km=101") as &str, "radius_km"),
        (&format!("{near}&radius_km=0") as &str, "radius_km"),
        ("radius_km=3", "radius_km"),
        ("kind=bar", "kind"),
    ] {
        let r = app.get(&format!("/venues?{query}"), None).await;
        assert_eq!(r.status().as_u16(), 422, "{query}");
        assert_eq!(body(r).await["error"]["details"]["field"], field, "{query}");
    }
}

#[actix_rt::test]
async fn the_listing_follows_changes_as_soon_as_they_are_acknowledged() {
    let app = spawn_app().await;
    let id = app.create_venue(&with("Tea House", json!({}))).await;
    assert_eq!(names(&app, "q=tea").await, ["Tea House"]);
    let r = app
        .patch(
            &format!("/venues/{id}"),
            Some(&app.admin),
            &json!({"cuisine": "Teahouse snacks", "name": "Leaf"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let seq = body(r).await["seq"].as_u64().unwrap();
    assert_eq!(names(&app, "q=snacks").await, ["Leaf"]);
    assert!(names(&app, "q=tea%20house").await.is_empty());
    // A booking moves the venue's seq in the listing too.
    let (customer, _) = app.register("sip@example.com").await;
    let r = app
        .post(
            &format!("/venues/{id}/bookings"),
            Some(&customer),
            &json!({"start": evening_text(2), "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let list = body(app.get("/venues?q=leaf", None).await).await;
    assert_eq!(list["items"][0]["seq"].as_u64().unwrap(), seq + 1);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
