//! Property: no sequence of accepted orders, fills, amendments and cancels
//! takes an account (or the firm) past a hard limit, whether the account
//! rejects or reduces breaching orders. Prices are held still, so money
//! limits are as hard as quantity limits. The aggregates the engine keeps
//! by deltas are checked against a recomputation from the positions.

mod common;

use common::*;
use proptest::prelude::*;
use risk::config::OnBreach;
use risk::{
    AccountId, LocateId, OpenOrderChange, OrderRequest, RiskEngine, Scope, Side, SignedQty, Symbol,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const SYMBOLS: [(&str, i64, Decimal); 3] = [
    ("AAPL", 1, dec!(190)),
    ("MSFT", 1, dec!(420)),
    ("XOM", 100, dec!(100)),
];
const ACCOUNTS: [&str; 2] = ["ACC1", "ACC2"];

#[derive(Clone, Debug)]
enum Action {
    Order {
        account: usize,
        symbol: usize,
        side: u8,
        lots: i64,
        ticks: i64,
    },
    Fill {
        pick: usize,
        pct: u8,
    },
    Cancel {
        pick: usize,
    },
    Amend {
        pick: usize,
        pct: u8,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        5 => (0..2usize, 0..3usize, 0..3u8, 1..700i64, -5..5i64)
            .prop_map(|(account, symbol, side, lots, ticks)| Action::Order { account, symbol, side, lots, ticks }),
        3 => (any::<usize>(), 1..=100u8).prop_map(|(pick, pct)| Action::Fill { pick, pct }),
        1 => any::<usize>().prop_map(|pick| Action::Cancel { pick }),
        1 => (any::<usize>(), 0..=100u8).prop_map(|(pick, pct)| Action::Amend { pick, pct }),
    ]
}

struct Limits {
    max_qty: i64,
    position: [i64; 3],
    gross: Decimal,
    net: Decimal,
    tech_gross: Decimal,
    daily: Decimal,
    firm_credit: Decimal,
}

const L: Limits = Limits {
    max_qty: 600,
    position: [1000, 800, 20000],
    gross: dec!(400000),
    net: dec!(250000),
    tech_gross: dec!(300000),
    daily: dec!(1500000),
    firm_credit: dec!(700000),
};

fn engine(reduce: bool) -> RiskEngine {
    engine_with(|c| {
        for a in ACCOUNTS {
            let ac = c.accounts.get_mut(&acc(a)).unwrap();
            ac.on_breach = if reduce {
                OnBreach::Reduce
            } else {
                OnBreach::Reject
            };
            let l = &mut ac.limits;
            l.max_order_qty = Some(L.max_qty);
            for (i, (s, _, _)) in SYMBOLS.iter().enumerate() {
                l.position_limits.insert(sym(s), L.position[i]);
            }
            l.gross_exposure = Some(L.gross);
            l.net_exposure = Some(L.net);
            l.daily_notional = Some(L.daily);
            l.sectors.insert(
                risk::Sector::new("Technology").unwrap(),
                risk::config::ExposureLimit {
                    gross: Some(L.tech_gross),
                    net: None,
                },
            );
        }
        c.firm.credit_limit = Some(L.firm_credit);
        c.checks.duplicate_window_ms = 0;
    })
}

fn check_invariants(e: &RiskEngine, daily: &[Decimal; 2]) -> Result<(), TestCaseError> {
    let mut firm_gross = Decimal::ZERO;
    for (ai, a) in ACCOUNTS.iter().enumerate() {
        let (mut gross, mut net_hi, mut net_lo, mut tech) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for (i, (s, _, px)) in SYMBOLS.iter().enumerate() {
            let p = e.position(acc(a), sym(s)).unwrap();
            prop_assert!(p.open_buy >= 0 && p.open_sell >= 0, "{a} {s} {p:?}");
            prop_assert!(p.qty.abs() <= L.position[i], "{a} {s} position {}", p.qty);
            prop_assert!(
                p.projected_abs() <= L.position[i],
                "{a} {s} projected {p:?}"
            );
            let g = Decimal::from(p.projected_abs()) * px;
            gross += g;
            net_hi += Decimal::from(p.projected_long()) * px;
            net_lo += Decimal::from(p.projected_short()) * px;
            if i < 2 {
                tech += g;
            }
        }
        let net = net_hi.abs().max(net_lo.abs());
        prop_assert!(gross <= L.gross, "{a} gross {gross}");
        prop_assert!(net <= L.net, "{a} net {net}");
        prop_assert!(tech <= L.tech_gross, "{a} tech {tech}");
        prop_assert!(daily[ai] <= L.daily, "{a} daily {}", daily[ai]);
        let view = e.pnl(Scope::Account(acc(a))).unwrap();
        prop_assert_eq!(
            view.gross_exposure,
            gross,
            "aggregate drifted from positions"
        );
        prop_assert_eq!(view.net_exposure, net);
        firm_gross += gross;
    }
    prop_assert!(firm_gross <= L.firm_credit, "firm gross {firm_gross}");
    Ok(())
}

fn run(actions: Vec<Action>, reduce: bool) -> Result<(), TestCaseError> {
    let mut e = engine(reduce);
    let mut open: Vec<(OrderRequest, i64)> = Vec::new();
    let mut daily = [Decimal::ZERO; 2];
    let mut now = t(10, 0, 1).0;
    let mut n = 0u64;
    for a in actions {
        now += 1_000_000;
        let ts = risk::Timestamp(now);
        match a {
            Action::Order {
                account,
                symbol,
                side,
                lots,
                ticks,
            } => {
                let (s, lot, px) = SYMBOLS[symbol];
                let side = [Side::Buy, Side::Sell, Side::SellShort][side as usize];
                n += 1;
                let price = px + Decimal::from(ticks) * dec!(0.01);
                let o = OrderRequest {
                    cl_ord_id: risk::ClOrdId::new(&format!("P{n}")).unwrap(),
                    account: AccountId::new(ACCOUNTS[account]).unwrap(),
                    symbol: Symbol::new(s).unwrap(),
                    qty: SignedQty(lots * lot),
                    locate: Some(LocateId::new("ETB").unwrap()),
                    side,
                    ..limit(s, side, 1, price)
                };
                let d = e.pre_trade(ts, &o);
                if let Some(q) = d.accepted_qty(o.qty) {
                    prop_assert!(q.0 > 0 && q.0 <= L.max_qty && q.0 <= o.qty.0, "{d}");
                    prop_assert!(reduce || q == o.qty);
                    daily[account] += q.dec() * price;
                    open.push((OrderRequest { qty: q, ..o }, q.0));
                }
            }
            Action::Fill { pick, pct } if !open.is_empty() => {
                let i = pick % open.len();
                let (o, leaves) = open[i];
                let lot = SYMBOLS.iter().find(|x| x.0 == o.symbol.as_str()).unwrap().1;
                let q = ((leaves * pct as i64 / 100) / lot * lot)
                    .max(lot)
                    .min(leaves);
                e.on_fill(ts, &fill_of(&o, q, o.price.unwrap())).unwrap();
                if q == leaves {
                    open.remove(i);
                } else {
                    open[i].1 -= q;
                }
            }
            Action::Cancel { pick } if !open.is_empty() => {
                let (o, _) = open.remove(pick % open.len());
                let c = OpenOrderChange::Closed {
                    account: o.account,
                    cl_ord_id: o.cl_ord_id,
                };
                e.on_open_order_change(ts, &c).unwrap();
            }
            Action::Amend { pick, pct } if !open.is_empty() => {
                // Replace down only (a replace up goes through pre_trade).
                let i = pick % open.len();
                let (o, leaves) = open[i];
                let lot = SYMBOLS.iter().find(|x| x.0 == o.symbol.as_str()).unwrap().1;
                let new = (leaves * pct as i64 / 100) / lot * lot;
                let c = OpenOrderChange::Amended {
                    account: o.account,
                    cl_ord_id: o.cl_ord_id,
                    leaves: SignedQty(new),
                    price: None,
                };
                e.on_open_order_change(ts, &c).unwrap();
                if new == 0 {
                    open.remove(i);
                } else {
                    open[i].1 = new;
                }
            }
            _ => {}
        }
        check_invariants(&e, &daily)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_accepted_sequence_breaches_a_hard_limit_rejecting(actions in prop::collection::vec(action(), 1..120)) {
        run(actions, false)?;
    }

    #[test]
    fn no_accepted_sequence_breaches_a_hard_limit_reducing(actions in prop::collection::vec(action(), 1..120)) {
        run(actions, true)?;
    }
}
