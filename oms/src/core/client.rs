//! Client requests: new orders (validation, routing, the pre-trade
//! check), cancels and replaces (lookup by any ClOrdID of the chain, the
//! transition table deciding, OrderCancelReject reasons), status requests.

use super::*;

impl Cx<'_> {
    pub(super) fn client_new(&mut self, o: &NewOrder) {
        if self
            .st
            .client_order(&o.session, o.cl_ord_id.as_str())
            .is_some()
        {
            let er = ExecutionReport {
                session: o.session.clone(),
                account: o.account.clone(),
                order_id: OrderId::from("NONE"),
                exec_id: self.next_exec(),
                exec_type: ExecType::Rejected,
                ord_status: OrdStatus::Rejected,
                cl_ord_id: o.cl_ord_id.clone(),
                orig_cl_ord_id: None,
                exec_ref_id: None,
                symbol: o.symbol.clone(),
                side: o.side,
                ord_type: o.ord_type,
                price: o.price,
                tif: o.tif,
                order_qty: o.qty,
                last_qty: Qty::ZERO,
                last_px: Px::ZERO,
                last_mkt: None,
                cum_qty: Qty::ZERO,
                leaves_qty: Qty::ZERO,
                avg_px: Px::ZERO,
                text: Some(format!(
                    "DuplicateClOrdId: ClOrdID {} already used on this session",
                    o.cl_ord_id
                )),
                transact_time: self.now,
            };
            self.emit(er);
            return;
        }
        self.st.next_order += 1;
        let oid = order_id(self.st.next_order);
        let price = if o.ord_type == OrdType::Market {
            None
        } else {
            o.price
        };
        let mut parent = ParentOrder {
            order_id: oid.clone(),
            session: o.session.clone(),
            account: o.account.clone(),
            symbol: o.symbol.clone(),
            side: o.side,
            ord_type: o.ord_type,
            price,
            tif: o.tif,
            qty: o.qty,
            cl_ord_id: o.cl_ord_id.clone(),
            chain: vec![o.cl_ord_id.clone()],
            status: OrdStatus::PendingNew,
            cum: Qty::ZERO,
            notional: Decimal::ZERO,
            children: Vec::new(),
            pending: None,
            child_requests: 0,
        };
        self.st.add_client_id(&o.session, &o.cl_ord_id, oid.clone());

        // Validate, route, check: the first refusal wins.
        let refusal = if o.qty.is_zero() {
            Err("InvalidOrder: order qty must be positive".to_owned())
        } else if o.qty > MAX_QTY {
            Err(format!("InvalidOrder: order qty {} above {MAX_QTY}", o.qty))
        } else if o.ord_type == OrdType::Limit && !matches!(price, Some(p) if p.is_sane()) {
            Err(format!(
                "InvalidOrder: limit order needs a price in (0, {MAX_PX}]"
            ))
        } else {
            crate::types::supported(o.ord_type, o.tif)
        };
        let routed = refusal.and_then(|()| self.route(&parent, o.qty));
        let decided = routed.and_then(|slices| {
            let req = OrderRequest {
                cl_ord_id: o.cl_ord_id.clone(),
                replaces: None,
                account: o.account.clone(),
                symbol: o.symbol.clone(),
                side: o.side,
                qty: o.qty,
                cum_qty: Qty::ZERO,
                ord_type: o.ord_type,
                price,
                tif: o.tif,
                venue: slices.first().map(|s| s.venue.clone()),
            };
            let view = OmsView {
                portfolio: &self.st.portfolio,
            };
            match self.checker.check(self.now, &req, &view) {
                Decision::Accept => Ok((slices, None)),
                Decision::Reject(v) => Err(v.to_string()),
                Decision::Reduce(q) if q.is_zero() || q > o.qty => {
                    Err(format!("InvalidReduce: checker reduced to {q}"))
                }
                Decision::Reduce(q) => {
                    parent.qty = q;
                    let text = format!("Reduced: order qty {} reduced to {q} by risk", o.qty);
                    match self.route(&parent, q) {
                        Ok(s) => Ok((s, Some(text))),
                        Err(e) => {
                            self.checker
                                .on_order_done(self.now, &o.account, &o.cl_ord_id);
                            Err(e)
                        }
                    }
                }
            }
        });
        match decided {
            Err(text) => {
                parent.status = parent
                    .status
                    .transition(OrderEvent::Rejected)
                    .unwrap_or(OrdStatus::Rejected);
                self.st.orders.insert(oid.clone(), parent);
                self.simple(&oid, ExecType::Rejected, Some(text));
            }
            Ok((slices, text)) => {
                self.st.orders.insert(oid.clone(), parent);
                let sends = self.open_children(&oid, slices);
                let mut er = self.report(&oid, ExecType::PendingNew, None, None);
                er.text = text;
                self.emit(er);
                self.out.extend(sends);
            }
        }
    }

    /// Create one child per slice; returns the venue orders to send.
    pub(super) fn open_children(&mut self, oid: &OrderId, slices: Vec<Slice>) -> Vec<Output> {
        let p = self.st.orders.get_mut(oid).expect("order exists");
        let mut sends = Vec::with_capacity(slices.len());
        for s in slices {
            let i = p.children.len();
            let cl = ClOrdId::new(format!("{}.{}", oid, i + 1));
            self.st.child_ids.insert(cl.clone(), (oid.clone(), i));
            p.children.push(ChildOrder {
                cl_ord_id: cl,
                venue: s.venue,
                venue_order_id: None,
                qty: s.qty,
                price: p.price,
                status: OrdStatus::PendingNew,
                cum: Qty::ZERO,
                pending: None,
            });
            let c = p.children.last().expect("just pushed");
            sends.push(Output::VenueNew(c.venue_new(p)));
        }
        sends
    }

    pub(super) fn route(&self, p: &ParentOrder, qty: Qty) -> Result<Vec<Slice>, String> {
        let req = RouteRequest {
            symbol: &p.symbol,
            side: p.side,
            qty,
            ord_type: p.ord_type,
            price: p.price,
        };
        let view = RouteView {
            venues: &self.st.venues,
            default_venue: self.st.default_venues.get(&p.symbol),
            quotes: self.st.quotes.get(&p.symbol),
        };
        self.router.route(&req, &view).map_err(|e| e.to_string())
    }

    /// Common checks of a cancel or replace; returns the order id.
    pub(super) fn lookup_for_change(
        &mut self,
        session: &SessionId,
        cl: &ClOrdId,
        orig: &ClOrdId,
        to: CxlRejResponseTo,
        event: OrderEvent,
    ) -> Option<OrderId> {
        let Some(oid) = self.st.client_order(session, orig.as_str()).cloned() else {
            self.cancel_reject(
                session,
                None,
                cl,
                orig,
                to,
                CxlRejReason::UnknownOrder,
                format!("UnknownOrder: no order with ClOrdID {orig}"),
            );
            return None;
        };
        if self.st.client_order(session, cl.as_str()).is_some() {
            self.cancel_reject(
                session,
                Some(&oid),
                cl,
                orig,
                to,
                CxlRejReason::DuplicateClOrdId,
                format!("DuplicateClOrdId: ClOrdID {cl} already used on this session"),
            );
            return None;
        }
        let status = self.st.orders[&oid].status;
        if let Err(e) = status.transition(event) {
            let (reason, text) = if e.state.is_terminal() {
                (
                    CxlRejReason::TooLateToCancel,
                    format!("TooLateToCancel: order is {}", e.state),
                )
            } else if e.state.is_pending_change() {
                (
                    CxlRejReason::AlreadyPending,
                    format!("AlreadyPending: order is {}", e.state),
                )
            } else {
                (
                    CxlRejReason::BrokerOption,
                    format!("BrokerOption: not allowed while order is {}", e.state),
                )
            };
            self.cancel_reject(session, Some(&oid), cl, orig, to, reason, text);
            return None;
        }
        Some(oid)
    }

    pub(super) fn client_cancel(&mut self, r: &CancelRequest) {
        let Some(oid) = self.lookup_for_change(
            &r.session,
            &r.cl_ord_id,
            &r.orig_cl_ord_id,
            CxlRejResponseTo::Cancel,
            OrderEvent::CancelRequested,
        ) else {
            return;
        };
        self.st.add_client_id(&r.session, &r.cl_ord_id, oid.clone());
        self.start_cancel(&oid, Some(r.cl_ord_id.clone()));
    }

    /// Move a parent to PendingCancel and cancel its live children.
    pub(super) fn start_cancel(&mut self, oid: &OrderId, cl: Option<ClOrdId>) {
        let p = self.st.orders.get_mut(oid).expect("order exists");
        let Ok(next) = p.status.transition(OrderEvent::CancelRequested) else {
            return;
        };
        p.status = next;
        let orig = p.cl_ord_id.clone();
        p.pending = Some(PendingChange {
            kind: ChangeKind::Cancel,
            cl_ord_id: cl.clone(),
            orig_cl_ord_id: orig.clone(),
        });
        // An operator's cancel has no ClOrdID of its own: the report
        // carries the order's current one and no OrigClOrdID.
        let orig_field = cl.as_ref().map(|_| orig);
        let er = self.report(oid, ExecType::PendingCancel, cl.clone(), orig_field);
        self.emit(er);
        self.cancel_children(oid);
        // Nothing working at any venue (e.g. reopened by a bust): done now.
        self.parent_check(oid, None);
    }

    /// Send a cancel for every live child without a request in flight.
    pub(super) fn cancel_children(&mut self, oid: &OrderId) {
        let p = self.st.orders.get_mut(oid).expect("order exists");
        let mut sends = Vec::new();
        for i in 0..p.children.len() {
            let c = &p.children[i];
            if c.status.is_terminal() || c.pending.is_some() {
                continue;
            }
            p.child_requests += 1;
            let req = ClOrdId::new(format!("{}.{}", c.cl_ord_id, p.child_requests));
            p.children[i].pending = Some((req.clone(), ChangeKind::Cancel));
            sends.push((i, p.children[i].venue_cancel(p, req)));
        }
        for (i, vc) in sends {
            self.st
                .child_ids
                .insert(vc.cl_ord_id.clone(), (oid.clone(), i));
            self.out.push(Output::VenueCancel(vc));
        }
    }

    pub(super) fn client_replace(&mut self, r: &ReplaceRequest) {
        let to = CxlRejResponseTo::Replace;
        let Some(oid) = self.lookup_for_change(
            &r.session,
            &r.cl_ord_id,
            &r.orig_cl_ord_id,
            to,
            OrderEvent::ReplaceRequested,
        ) else {
            return;
        };
        let p = &self.st.orders[&oid];
        let live: Vec<usize> = p.live_children().map(|(i, _)| i).collect();
        let refusal = if r.qty > MAX_QTY {
            Some((
                CxlRejReason::Other,
                format!("InvalidReplace: new qty {} above {MAX_QTY}", r.qty),
            ))
        } else if r.qty <= p.cum {
            Some((
                CxlRejReason::Other,
                format!(
                    "InvalidReplace: new qty {} not above cum qty {}",
                    r.qty, p.cum
                ),
            ))
        } else if p.ord_type == OrdType::Limit && !matches!(r.price, Some(x) if x.is_sane()) {
            Some((
                CxlRejReason::Other,
                format!("InvalidReplace: limit order needs a price in (0, {MAX_PX}]"),
            ))
        } else {
            None
        };
        if let Some((reason, text)) = refusal {
            self.cancel_reject(
                &r.session,
                Some(&oid),
                &r.cl_ord_id,
                &r.orig_cl_ord_id,
                to,
                reason,
                text,
            );
            return;
        }
        let price = if p.ord_type == OrdType::Market {
            None
        } else {
            r.price
        };
        let req = OrderRequest {
            cl_ord_id: r.cl_ord_id.clone(),
            replaces: Some((oid.clone(), p.first_cl_ord_id().clone())),
            account: p.account.clone(),
            symbol: p.symbol.clone(),
            side: p.side,
            qty: r.qty,
            cum_qty: p.cum,
            ord_type: p.ord_type,
            price,
            tif: p.tif,
            venue: live
                .first()
                .map(|i| p.children[*i].venue.clone())
                .or_else(|| p.children.first().map(|c| c.venue.clone())),
        };
        let view = OmsView {
            portfolio: &self.st.portfolio,
        };
        match self.checker.check(self.now, &req, &view) {
            Decision::Accept => {}
            Decision::Reduce(q) => {
                let text =
                    format!("BrokerOption: risk would reduce the replace to {q}; not applied");
                self.cancel_reject(
                    &r.session,
                    Some(&oid),
                    &r.cl_ord_id,
                    &r.orig_cl_ord_id,
                    to,
                    CxlRejReason::BrokerOption,
                    text,
                );
                return;
            }
            Decision::Reject(v) => {
                self.cancel_reject(
                    &r.session,
                    Some(&oid),
                    &r.cl_ord_id,
                    &r.orig_cl_ord_id,
                    to,
                    CxlRejReason::BrokerOption,
                    v.to_string(),
                );
                return;
            }
        }
        self.st.add_client_id(&r.session, &r.cl_ord_id, oid.clone());
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        p.status = p
            .status
            .transition(OrderEvent::ReplaceRequested)
            .unwrap_or(p.status);
        let orig = p.cl_ord_id.clone();
        let reroute = live.len() != 1;
        p.pending = Some(PendingChange {
            kind: ChangeKind::Replace {
                qty: r.qty,
                price,
                reroute,
            },
            cl_ord_id: Some(r.cl_ord_id.clone()),
            orig_cl_ord_id: orig.clone(),
        });
        if reroute {
            // Working at several venues (or none): cancel every child; the
            // new terms are routed afresh when all are done (parent_check).
            let er = self.report(
                &oid,
                ExecType::PendingReplace,
                Some(r.cl_ord_id.clone()),
                Some(orig),
            );
            self.emit(er);
            self.cancel_children(&oid);
            self.parent_check(&oid, None);
            return;
        }
        let ci = live[0];
        p.child_requests += 1;
        let parent_cum = p.cum;
        let c = &mut p.children[ci];
        let req_id = ClOrdId::new(format!("{}.{}", c.cl_ord_id, p.child_requests));
        let child_qty = c.cum + r.qty.saturating_sub(parent_cum);
        let child_kind = ChangeKind::Replace {
            qty: child_qty,
            price,
            reroute: false,
        };
        c.pending = Some((req_id.clone(), child_kind));
        let vr = p.children[ci].venue_replace(p, req_id.clone(), child_qty, price);
        self.st.child_ids.insert(req_id, (oid.clone(), ci));
        let er = self.report(
            &oid,
            ExecType::PendingReplace,
            Some(r.cl_ord_id.clone()),
            Some(orig),
        );
        self.emit(er);
        self.out.push(Output::VenueReplace(vr));
    }

    pub(super) fn client_status(&mut self, r: &StatusRequest) {
        match self
            .st
            .client_order(&r.session, r.cl_ord_id.as_str())
            .cloned()
        {
            Some(oid) => {
                let er = self.report(&oid, ExecType::OrderStatus, None, None);
                self.emit(er);
            }
            None => {
                let exec_id = self.next_exec();
                self.out.push(Output::ExecReport(ExecutionReport {
                    session: r.session.clone(),
                    account: AccountId::from(""),
                    order_id: OrderId::from("NONE"),
                    exec_id,
                    exec_type: ExecType::OrderStatus,
                    ord_status: OrdStatus::Rejected,
                    cl_ord_id: r.cl_ord_id.clone(),
                    orig_cl_ord_id: None,
                    exec_ref_id: None,
                    symbol: Symbol::from(""),
                    side: crate::types::Side::Buy,
                    ord_type: OrdType::Limit,
                    price: None,
                    tif: crate::types::TimeInForce::Day,
                    order_qty: Qty::ZERO,
                    last_qty: Qty::ZERO,
                    last_px: Px::ZERO,
                    last_mkt: None,
                    cum_qty: Qty::ZERO,
                    leaves_qty: Qty::ZERO,
                    avg_px: Px::ZERO,
                    text: Some(format!(
                        "UnknownOrder: no order with ClOrdID {}",
                        r.cl_ord_id
                    )),
                    transact_time: self.now,
                }));
            }
        }
    }
}
