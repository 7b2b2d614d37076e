//! The control interface: HTTP on a loopback port.
//!
//! - `POST /{venue}/command` with scenario lines in the body (the format of
//!   [`crate::scenario`] without the time column: `halt AAPL news`,
//!   `resume AAPL`, `session closed`, `circuit_breaker 1`, `shock MSFT -5%`,
//!   `drop_session CLIENT1`, `delay_md 250ms`, `stop_md`, `start_md`,
//!   `reject_all on`, `end_of_day`, `band AAPL 3%`), applied at once, in order;
//! - `GET /{venue}/clearing`: the clearing records as CSV;
//! - `GET /{venue}/top/{symbol}`: best bid and offer.

// Field-level docs are on the FIX tags each item carries.
#![allow(missing_docs)]

use super::VenueInput;
use crate::scenario::{parse_scenario, Action};
use crate::types::Timestamp;
use crate::venue::Venue;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use tokio::sync::{mpsc, oneshot};

/// A control request for the venue task.
pub enum Command {
    Actions(Vec<Action>),
    Clearing,
    Top(String),
}

impl Command {
    pub(super) fn apply(self, v: &mut Venue, now: Timestamp) -> Result<String, String> {
        match self {
            Command::Actions(actions) => {
                for a in &actions {
                    v.apply_action(now, a).map_err(|e| e.to_string())?;
                }
                Ok(format!("applied {} action(s)\n", actions.len()))
            }
            Command::Clearing => Ok(v.clearing_csv()),
            Command::Top(sym) => match v.top_of_book(&sym) {
                Some((bid, ask)) => Ok(format!("{sym} bid {bid:?} ask {ask:?}\n")),
                None => Err(format!("unknown symbol {sym:?}")),
            },
        }
    }
}

/// Parses command lines (scenario actions without the time column).
pub fn parse_commands(text: &str) -> Result<Vec<Action>, String> {
    let timed: String = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| format!("+0s {l}\n"))
        .collect();
    parse_scenario(&timed, "control command")
        .map(|v| v.into_iter().map(|t| t.action).collect())
        .map_err(|e| e.to_string())
}

async fn ask(
    tx: &mpsc::UnboundedSender<VenueInput>,
    venue: String,
    command: Command,
) -> (StatusCode, String) {
    let (reply, rx) = oneshot::channel();
    if tx
        .send(VenueInput::Control {
            venue,
            command,
            reply,
        })
        .is_err()
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "venue task stopped\n".into(),
        );
    }
    match rx.await {
        Ok(Ok(s)) => (StatusCode::OK, s),
        Ok(Err(e)) => (StatusCode::BAD_REQUEST, format!("{e}\n")),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "venue task stopped\n".into(),
        ),
    }
}

/// Serves the control interface on `bind`; returns the bound address.
pub async fn serve_control(
    bind: SocketAddr,
    tx: mpsc::UnboundedSender<VenueInput>,
) -> std::io::Result<SocketAddr> {
    let app =
        Router::new()
            .route(
                "/{venue}/command",
                post(
                    |State(tx): State<mpsc::UnboundedSender<VenueInput>>,
                     Path(venue): Path<String>,
                     body: String| async move {
                        match parse_commands(&body) {
                            Ok(actions) => ask(&tx, venue, Command::Actions(actions)).await,
                            Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")),
                        }
                    },
                ),
            )
            .route(
                "/{venue}/clearing",
                get(
                    |State(tx): State<mpsc::UnboundedSender<VenueInput>>,
                     Path(venue): Path<String>| async move {
                        ask(&tx, venue, Command::Clearing).await
                    },
                ),
            )
            .route(
                "/{venue}/top/{symbol}",
                get(
                    |State(tx): State<mpsc::UnboundedSender<VenueInput>>,
                     Path((venue, symbol)): Path<(String, String)>| async move {
                        ask(&tx, venue, Command::Top(symbol)).await
                    },
                ),
            )
            .with_state(tx);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
