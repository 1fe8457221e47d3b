//! `GET /venues/{id}/stats` (API v1.1 §8): a venue's daily figures, as JSON
//! or, with `Accept: text/csv`, as CSV.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::domain::VenueId;
use crate::http::dto;
use crate::http::extract::{Auth, query};
use crate::http::views::{CountsView, DayView, PeakView, StatsView};
use crate::http::{ApiError, AppState};

/// The CSV header of API v1.1 §12.
const CSV_HEADER: &str = "date,bookings,covers,pending,confirmed,seated,completed,cancelled,no_show,no_show_rate,cancellation_rate,occupancy";

pub async fn stats(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let q = query(&req)?;
    let date = |f: &'static str| -> Result<jiff::civil::Date, ApiError> {
        let text = q
            .get(f)
            .ok_or_else(|| ApiError::invalid(f, "is required"))?;
        dto::parse_date(f, text)
    };
    let (from, to) = (date("from")?, date("to")?);
    let (report, settings) = state
        .engine
        .report(&venue, (from, to), auth.caller())
        .await?;
    let wants_csv = req
        .headers()
        .get("accept")
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    if wants_csv {
        let mut out = format!("{CSV_HEADER}\r\n");
        for d in &report.days {
            let c = &d.counts;
            let statuses: Vec<String> = c.by_status.iter().map(u64::to_string).collect();
            out.push_str(&format!(
                "{},{},{},{},{:.4},{:.4},{:.4}\r\n",
                d.date,
                c.bookings,
                c.covers,
                statuses.join(","),
                c.no_show_rate(),
                c.cancellation_rate(),
                c.occupancy()
            ));
        }
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"stats-{venue}-{from}-{to}.csv\""),
            ))
            .body(out));
    }
    let zone = &settings.timezone;
    let days = report
        .days
        .iter()
        .map(|d| DayView {
            date: d.date.to_string(),
            counts: CountsView::new(&d.counts),
            peak: d.peak.map(|(start, covers)| PeakView {
                start: dto::local(start, zone),
                covers,
            }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(StatsView {
        venue_id: venue.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        days,
        totals: CountsView::new(&report.totals),
    }))
}
