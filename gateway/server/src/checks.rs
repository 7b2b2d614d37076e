//! The pre-trade check the OMS core runs on every order and replace,
//! built from the gateway configuration.
//!
//! With `[risk]`, the risk crate's engine (`oms::risk_adapter::RiskAdapter`
//! around `risk::RiskEngine`) built from the risk file, with `[limits]`
//! folded into its firm-wide per-order limits (see
//! [`GatewayConfig::risk_config`]). Without it, the OMS's simple
//! `LimitsChecker` on `[limits]` alone.
//!
//! Determinism: the checker runs inside the core's single writer and again
//! on every replay of the journal at start, so it decides only from the
//! events it is given. The engine is built as of a fixed instant
//! ([`ENGINE_EPOCH`], not the clock: its first event moves it to that
//! event's day), every call carries the event's timestamp, and a
//! standing waiver (`market_hours = "always_open"`) is granted at that
//! same fixed instant before the replay, so replayed orders meet it as
//! the live ones did.

use crate::config::{GatewayConfig, MarketHours, GATEWAY_OPERATOR};
use oms::risk_adapter::RiskAdapter;
use oms::{LimitsChecker, PreTradeCheck, Qty};

/// The instant the engine is built "as of" (the Unix epoch): a constant,
/// so that a restart builds the same engine whatever the time.
pub const ENGINE_EPOCH: risk::Timestamp = risk::Timestamp(0);

/// The checker for this configuration. It runs inside the core's
/// single writer and again on every replay of the journal, so it must
/// decide from the events it is given (their timestamps, not the clock).
pub fn build_checker(cfg: &GatewayConfig) -> anyhow::Result<Box<dyn PreTradeCheck + Send>> {
    let risk_cfg = cfg
        .risk_config()
        .map_err(|e| anyhow::anyhow!("invalid risk configuration: {e}"))?;
    match (risk_cfg, &cfg.risk) {
        (Some(rc), Some(section)) => {
            let adapter = risk_checker(rc, section.market_hours)?;
            tracing::info!(
                config = %section.name(),
                market_hours = ?section.market_hours,
                "pre-trade check: the risk engine"
            );
            Ok(Box::new(adapter))
        }
        _ => {
            tracing::warn!(
                max_order_qty = cfg.limits.max_order_qty,
                max_order_notional = %cfg.limits.max_order_notional,
                "no [risk] section: the pre-trade check is [limits] alone \
                 (per-order quantity and notional)"
            );
            Ok(Box::new(LimitsChecker {
                max_qty: Qty(cfg.limits.max_order_qty),
                max_notional: cfg.limits.max_order_notional,
            }))
        }
    }
}

/// The risk engine behind the OMS seam, from a validated configuration
/// (see [`GatewayConfig::risk_config`], which also authorises the
/// gateway's operator when `hours` waives market hours).
pub fn risk_checker(rc: risk::RiskConfig, hours: MarketHours) -> anyhow::Result<RiskAdapter> {
    let engine =
        risk::RiskEngine::new(rc, ENGINE_EPOCH).map_err(|e| anyhow::anyhow!("risk engine: {e}"))?;
    let mut adapter = RiskAdapter::new(engine);
    if hours == MarketHours::AlwaysOpen {
        let op = risk::Operator {
            id: risk::OperatorId::new(GATEWAY_OPERATOR)?,
            at: ENGINE_EPOCH,
            reason: "[risk] market_hours = \"always_open\": orders are accepted outside NYSE \
                     sessions"
                .into(),
        };
        adapter
            .waive_rule(risk::Rule::MarketHours, op)
            .map_err(|e| anyhow::anyhow!("risk engine: cannot waive market hours: {e}"))?;
        tracing::warn!(
            "risk: market hours are not enforced ([risk] market_hours = \"always_open\"): \
             orders are accepted outside NYSE sessions"
        );
    }
    Ok(adapter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RiskSection;
    use oms::events::{NewOrder, VenueFill};
    use oms::{
        AccountId, ClOrdId, Decision, Event, EventKind, ExecId, JournaledOms, MemJournal,
        OmsConfig, OmsView, OrdStatus, OrdType, OrderId, OrderRequest, Output, Px, Side, Symbol,
        TimeInForce, Timestamp, VenueId,
    };
    use rust_decimal::Decimal;
    use std::sync::LazyLock;
    use test_support::risk::RiskToml;

    /// ACC1 may send orders of at most 100,000 notional, hold at most 400
    /// AAPL and send 3 orders a second.
    static RISK: LazyLock<String> = LazyLock::new(|| {
        RiskToml::new()
            .desk("EQ")
            .account_with_limits(
                "ACC1",
                "EQ",
                "10000000",
                "max_order_notional = \"100000\"\n\
                 position_limits = { AAPL = 400 }\n\
                 orders_per_second = 3",
            )
            .instruments(&["AAPL", "MSFT"])
            .to_string()
    });

    fn gateway_toml(risk: &str) -> String {
        format!(
            "[[listener]]\nport = 1\n[[client]]\ncomp_id = \"C\"\naccounts = [\"ACC1\"]\n\
             [[venue]]\nid = \"V\"\nhosts = [\"h:1\"]\n[[instrument]]\nsymbol = \"AAPL\"\n\
             venue = \"V\"\n[[instrument]]\nsymbol = \"MSFT\"\nvenue = \"V\"\n[limits]\nmax_order_qty = 1000\n{risk}"
        )
    }

    fn cfg(hours: MarketHours) -> GatewayConfig {
        let mut c = GatewayConfig::parse(&gateway_toml(""), "gw.toml").unwrap();
        c.risk = Some(RiskSection {
            config: "test-risk.toml".into(),
            market_hours: hours,
            builtin: Some(RISK.as_str()),
        });
        c
    }

    /// 2026-03-04 (a Wednesday) at `h:m` UTC plus `ms`.
    fn at(h: u32, m: u32, ms: i64) -> Timestamp {
        Timestamp(Timestamp::from_utc(2026, 3, 4, h, m, 0).0 + ms * 1_000_000)
    }

    fn req(cl: &str, qty: u64, px: Option<&str>) -> OrderRequest {
        OrderRequest {
            cl_ord_id: ClOrdId::from(cl),
            replaces: None,
            account: AccountId::from("ACC1"),
            symbol: Symbol::from("AAPL"),
            side: Side::Buy,
            qty: Qty(qty),
            cum_qty: Qty::ZERO,
            ord_type: if px.is_some() {
                OrdType::Limit
            } else {
                OrdType::Market
            },
            price: px.map(|p| Px(p.parse().unwrap())),
            tif: TimeInForce::Day,
            venue: Some(VenueId::from("V")),
        }
    }

    fn reject_text(d: Decision) -> String {
        match d {
            Decision::Reject(v) => v.to_string(),
            other => panic!("expected a reject, got {other:?}"),
        }
    }

    #[test]
    fn without_risk_section_limits_alone_decide() {
        let c = GatewayConfig::parse(&gateway_toml(""), "gw.toml").unwrap();
        let mut k = build_checker(&c).unwrap();
        let p = oms::portfolio::Portfolio::default();
        let v = OmsView { portfolio: &p };
        // Outside NYSE hours and an unknown symbol: [limits] only.
        let mut r = req("A", 10, Some("1.00"));
        r.symbol = Symbol::from("ZZZZ");
        assert_eq!(k.check(at(3, 0, 0), &r, &v), Decision::Accept);
        assert_eq!(
            reject_text(k.check(at(3, 0, 0), &req("B", 1001, Some("1.00")), &v)),
            "MaxOrderQty: order qty 1001 exceeds limit 1000"
        );
    }

    #[test]
    fn the_engine_decides_by_event_time_and_names_rule_and_limit() {
        let mut k = build_checker(&cfg(MarketHours::Nyse)).unwrap();
        let p = oms::portfolio::Portfolio::default();
        let v = OmsView { portfolio: &p };
        // 15:00 UTC is 10:00 in New York: regular session.
        assert_eq!(
            k.check(at(15, 0, 0), &req("A", 100, Some("190.00")), &v),
            Decision::Accept
        );
        // 03:00 UTC the same day is 22:00 the evening before: closed,
        // whatever the wall clock says while this test runs.
        assert_eq!(
            reject_text(k.check(at(3, 0, 0), &req("B", 100, Some("190.00")), &v)),
            "MarketHours: market is closed"
        );
        // Per-order notional of the account; [limits] as firm quantity.
        assert_eq!(
            reject_text(k.check(at(15, 0, 10), &req("C", 600, Some("190.00")), &v)),
            "MaxOrderNotional: order notional 114000 exceeds limit 100000"
        );
        let mut d = req("D", 1001, Some("1.00"));
        d.symbol = Symbol::from("MSFT");
        assert_eq!(
            reject_text(k.check(at(15, 0, 20), &d, &v)),
            "MaxOrderQty: order qty 1001 exceeds limit 1000"
        );
        // Position: A's 100 is open; 300 more is 400, 301 more is not.
        assert_eq!(
            reject_text(k.check(at(15, 0, 30), &req("E", 301, Some("190.00")), &v)),
            "PositionLimit: account ACC1 projected position 401 in AAPL exceeds limit 400"
        );
        // Order rate, by event time: A, F and G in one second, H would be
        // the fourth; a second after A there is room again. (Quantities
        // differ: identical orders within a second are duplicates.)
        assert_eq!(
            k.check(at(15, 0, 40), &req("F", 10, Some("190.00")), &v),
            Decision::Accept
        );
        assert_eq!(
            k.check(at(15, 0, 50), &req("G", 11, Some("190.00")), &v),
            Decision::Accept
        );
        assert_eq!(
            reject_text(k.check(at(15, 0, 60), &req("H", 12, Some("190.00")), &v)),
            "OrderRate: account ACC1 order rate 4/s exceeds limit 3/s"
        );
        assert_eq!(
            k.check(at(15, 0, 1_100), &req("I", 13, Some("190.00")), &v),
            Decision::Accept
        );
    }

    #[test]
    fn market_orders_need_a_reference_price() {
        let mut k = build_checker(&cfg(MarketHours::Nyse)).unwrap();
        let p = oms::portfolio::Portfolio::default();
        let v = OmsView { portfolio: &p };
        assert_eq!(
            reject_text(k.check(at(15, 0, 0), &req("M1", 100, None), &v)),
            "MissingPrice: Market order has no price to check against"
        );
        // A mark (the OMS's MarketPrice event) values it.
        k.on_price(
            at(15, 0, 1),
            &Symbol::from("AAPL"),
            Px(Decimal::new(19000, 2)),
        );
        assert_eq!(
            k.check(at(15, 0, 2), &req("M2", 100, None), &v),
            Decision::Accept
        );
        assert_eq!(
            reject_text(k.check(at(15, 0, 3), &req("M3", 600, None), &v)),
            "MaxOrderNotional: order notional 114000 exceeds limit 100000"
        );
    }

    #[test]
    fn always_open_waives_market_hours_only_and_quietly() {
        let mut k = build_checker(&cfg(MarketHours::AlwaysOpen)).unwrap();
        let p = oms::portfolio::Portfolio::default();
        let v = OmsView { portfolio: &p };
        // The grant is an alert, once.
        let grant = k.poll_alert().expect("the waiver is announced");
        assert!(
            grant.contains("MarketHours") && grant.contains(GATEWAY_OPERATOR),
            "{grant}"
        );
        assert_eq!(k.poll_alert(), None);
        // A Saturday at 03:00 UTC, and a date the NYSE calendar does not
        // cover: accepted, with no alert per order.
        let saturday = Timestamp::from_utc(2026, 3, 7, 3, 0, 0);
        assert_eq!(
            k.check(saturday, &req("A", 100, Some("190.00")), &v),
            Decision::Accept
        );
        let far = Timestamp::from_utc(2031, 1, 1, 12, 0, 0);
        assert_eq!(
            k.check(far, &req("B", 100, Some("190.00")), &v),
            Decision::Accept
        );
        assert_eq!(k.poll_alert(), None);
        // Every other rule still applies.
        assert_eq!(
            reject_text(k.check(far, &req("C", 600, Some("190.00")), &v)),
            "MaxOrderNotional: order notional 114000 exceeds limit 100000"
        );
    }

    fn new_order(cl: &str, qty: u64) -> EventKind {
        EventKind::ClientNew(NewOrder {
            session: "C".into(),
            cl_ord_id: ClOrdId::from(cl),
            account: AccountId::from("ACC1"),
            symbol: Symbol::from("AAPL"),
            side: Side::Buy,
            qty: Qty(qty),
            ord_type: OrdType::Limit,
            price: Some(Px(Decimal::new(19000, 2))),
            tif: TimeInForce::Ioc,
        })
    }

    fn status_of(out: &[Output], cl: &str) -> Vec<(OrdStatus, Option<String>)> {
        out.iter()
            .filter_map(|o| match o {
                Output::ExecReport(r) if r.cl_ord_id.as_str() == cl => {
                    Some((r.ord_status, r.text.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Live, then a restart: the journal replayed through a fresh checker
    /// gives the same state, and the position limit partly used before
    /// the restart still counts after it, outside NYSE hours too.
    #[tokio::test]
    async fn replay_reaches_the_same_state_and_decisions() {
        let c = cfg(MarketHours::AlwaysOpen);
        let oms_cfg = || OmsConfig {
            venues: vec![VenueId::from("V")],
            default_venues: [(Symbol::from("AAPL"), VenueId::from("V"))].into(),
            drop_copy: false,
        };
        // A Sunday night in New York.
        let t = |ms: i64| Timestamp(Timestamp::from_utc(2026, 3, 9, 2, 0, 0).0 + ms * 1_000_000);
        let mut live = JournaledOms::open(
            oms_cfg(),
            build_checker(&c).unwrap(),
            Box::new(oms::DefaultRouter),
            MemJournal::new(),
        )
        .await
        .unwrap();
        live.handle(vec![Event::new(
            t(0),
            EventKind::VenueConnected {
                venue: VenueId::from("V"),
            },
        )])
        .await
        .unwrap();
        let out = live
            .handle(vec![Event::new(t(10), new_order("A", 300))])
            .await
            .unwrap();
        assert_eq!(status_of(&out, "A")[0].0, OrdStatus::PendingNew, "{out:?}");
        let out = live
            .handle(vec![Event::new(
                t(20),
                EventKind::VenueFill(VenueFill {
                    venue: VenueId::from("V"),
                    cl_ord_id: ClOrdId::from("O1.1"),
                    venue_order_id: Some(OrderId::from("X1")),
                    exec_id: ExecId::from("E1"),
                    trade_id: None,
                    last_qty: Qty(300),
                    last_px: Px(Decimal::new(18999, 2)),
                }),
            )])
            .await
            .unwrap();
        assert_eq!(status_of(&out, "A").last().unwrap().0, OrdStatus::Filled);
        let out = live
            .handle(vec![Event::new(t(30), new_order("B", 101))])
            .await
            .unwrap();
        let b = status_of(&out, "B");
        assert_eq!(b[0].0, OrdStatus::Rejected);
        assert_eq!(
            b[0].1.as_deref(),
            Some("PositionLimit: account ACC1 projected position 401 in AAPL exceeds limit 400")
        );
        let snapshot = live.core().snapshot();

        // Restart: a fresh checker, the same journal.
        let (_, journal) = live.into_parts();
        let mut again = JournaledOms::open(
            oms_cfg(),
            build_checker(&c).unwrap(),
            Box::new(oms::DefaultRouter),
            journal,
        )
        .await
        .unwrap();
        assert_eq!(again.core().snapshot(), snapshot);
        let out = again
            .handle(vec![Event::new(t(40), new_order("C", 101))])
            .await
            .unwrap();
        assert_eq!(
            status_of(&out, "C")[0].1.as_deref(),
            Some("PositionLimit: account ACC1 projected position 401 in AAPL exceeds limit 400")
        );
        let out = again
            .handle(vec![Event::new(t(50), new_order("D", 100))])
            .await
            .unwrap();
        assert_eq!(status_of(&out, "D")[0].0, OrdStatus::PendingNew, "{out:?}");
    }
}
