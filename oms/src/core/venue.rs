//! Venue reports: acks, fills (deduplicated, aggregated to the parent,
//! reported once), cancels/expiries, replaces, rejects, cancel rejects,
//! trade corrections and busts, and closing a parent when its last child
//! is done.

use super::*;

/// How a parent whose children are all done is over, if a child says:
/// Expired, DoneForDay or Canceled (a rejected child counts as canceled);
/// `None` if every child filled.
fn closed_by_children(children: &[ChildOrder]) -> Option<OrdStatus> {
    let has = |s: OrdStatus| children.iter().any(|c| c.status == s);
    if has(OrdStatus::Expired) {
        Some(OrdStatus::Expired)
    } else if has(OrdStatus::DoneForDay) {
        Some(OrdStatus::DoneForDay)
    } else if has(OrdStatus::Canceled) || has(OrdStatus::Rejected) {
        Some(OrdStatus::Canceled)
    } else {
        None
    }
}

impl Cx<'_> {
    pub(super) fn child_of(
        &mut self,
        venue: &VenueId,
        cl: &ClOrdId,
        what: &str,
    ) -> Option<(OrderId, usize)> {
        match self.st.child_ids.get(cl) {
            Some((oid, i)) if &self.st.orders[oid].children[*i].venue == venue => {
                Some((oid.clone(), *i))
            }
            _ => {
                self.alert(
                    AlertKind::UnexpectedVenueReport,
                    format!("{what} from {venue} for unknown ClOrdID {cl}"),
                );
                None
            }
        }
    }

    pub(super) fn venue_ack(&mut self, r: &VenueAck) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "ack") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        c.venue_order_id
            .get_or_insert_with(|| r.venue_order_id.clone());
        if c.status == OrdStatus::PendingNew {
            c.status = OrdStatus::New;
        }
        // A late ack (after a fill or a cancel) changes nothing.
        if p.status == OrdStatus::PendingNew {
            p.status = OrdStatus::New;
            self.simple(&oid, ExecType::New, None);
        }
    }

    pub(super) fn venue_fill(&mut self, r: &VenueFill) {
        if self.st.fill(r.venue.as_str(), r.exec_id.as_str()).is_some() {
            return; // a duplicate (resend, PossDup): already booked and reported
        }
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "fill") else {
            return;
        };
        if r.last_qty.is_zero() || r.last_qty > MAX_QTY || !r.last_px.is_sane() {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!(
                    "fill {} from {} of {}@{} ignored: quantity or price out of range",
                    r.exec_id, r.venue, r.last_qty, r.last_px
                ),
            );
            return;
        }
        // A fill that overtook the venue's ack: the client hears New first,
        // so its reports always run PendingNew, New, fills.
        if self.st.orders[&oid].status == OrdStatus::PendingNew {
            let p = self.st.orders.get_mut(&oid).expect("order exists");
            p.status = OrdStatus::New;
            self.simple(&oid, ExecType::New, None);
        }
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        if let (None, Some(v)) = (&c.venue_order_id, &r.venue_order_id) {
            c.venue_order_id = Some(v.clone());
        }
        c.cum += r.last_qty;
        let cev = if c.cum >= c.qty {
            OrderEvent::Fill
        } else {
            OrderEvent::PartialFill
        };
        let child_bad = c.status.transition(cev).map(|s| c.status = s).err();
        let was_terminal = p.status.is_terminal();
        p.cum += r.last_qty;
        p.notional += r.last_qty.dec() * r.last_px.dec();
        let pev = if p.cum >= p.qty {
            OrderEvent::Fill
        } else {
            OrderEvent::PartialFill
        };
        let parent_bad = p.status.transition(pev).map(|s| p.status = s).err();
        let over = p.cum > p.qty;
        let (account, symbol, side, first) = (
            p.account.clone(),
            p.symbol.clone(),
            p.side,
            p.first_cl_ord_id().clone(),
        );
        let venue_order_id = p.children[i].venue_order_id.clone();
        let now_terminal = p.status.is_terminal();

        let mut er = self.report(&oid, ExecType::Trade, None, None);
        er.last_qty = r.last_qty;
        er.last_px = r.last_px;
        er.last_mkt = Some(r.venue.clone());
        let client_exec_id = er.exec_id.clone();
        self.emit(er);

        let hour = self.now.0.div_euclid(3_600_000_000_000);
        let (trade_date, settle_date) = match *self.dates {
            Some((h, t, s)) if h == hour => (t, s),
            _ => {
                let t = self.now.ny_date();
                let s = settlement_date(t);
                *self.dates = Some((hour, t, s));
                (t, s)
            }
        };
        let ledger_id = self.st.ledger.book(Trade {
            venue: r.venue.clone(),
            exec_id: r.exec_id.clone(),
            trade_id: r.trade_id.clone(),
            venue_order_id,
            order_id: oid.clone(),
            account: account.clone(),
            symbol: symbol.clone(),
            side,
            qty: r.last_qty,
            px: r.last_px,
            ts: self.now,
            trade_date,
            settle_date,
            status: TradeStatus::Pending,
        });
        self.st
            .portfolio
            .on_fill(&account, &symbol, side, r.last_qty, r.last_px);
        self.st.fills.entry(r.venue.clone()).or_default().insert(
            r.exec_id.clone(),
            FillRef {
                order_id: oid.clone(),
                child: i,
                qty: r.last_qty,
                px: r.last_px,
                client_exec_id,
                ledger_id,
                busted: false,
            },
        );
        self.checker.on_fill(
            self.now,
            &FillNotice {
                account: account.clone(),
                cl_ord_id: first.clone(),
                symbol,
                side,
                qty: r.last_qty,
                px: r.last_px,
            },
        );
        if let Some(e) = child_bad.or(parent_bad) {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!("fill {} from {} on order {oid}: {e}", r.exec_id, r.venue),
            );
        }
        if over {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!(
                    "order {oid} overfilled by fill {} from {}",
                    r.exec_id, r.venue
                ),
            );
        }
        if now_terminal && !was_terminal {
            self.checker.on_order_done(self.now, &account, &first);
        }
        self.parent_check(&oid, None);
    }

    pub(super) fn venue_closed(&mut self, r: &VenueClosed) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "cancel") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        if c.status.is_terminal() {
            return; // e.g. a cancel confirmation after the last fill
        }
        let ev = match r.how {
            CloseKind::Canceled => OrderEvent::Canceled,
            CloseKind::Expired => OrderEvent::Expired,
            CloseKind::DoneForDay => OrderEvent::DoneForDay,
        };
        c.status = c.status.transition(ev).unwrap_or(OrdStatus::Canceled);
        c.pending = None;
        self.parent_check(&oid, Some(CloseHint::Venue(r.how, r.text.clone())));
    }

    pub(super) fn venue_replaced(&mut self, r: &VenueReplaced) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "replace") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        let Some((req, ChangeKind::Replace { qty, price, .. })) = c.pending.clone() else {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!(
                    "replace {} from {} with no replace pending",
                    r.cl_ord_id, r.venue
                ),
            );
            return;
        };
        if req != r.cl_ord_id {
            return;
        }
        c.pending = None;
        c.cl_ord_id = req;
        c.qty = qty;
        c.price = price;
        if let Ok(s) = c.status.transition(OrderEvent::Replaced) {
            c.status = s;
        }
        if c.cum >= c.qty && !c.status.is_terminal() {
            c.status = OrdStatus::Filled;
        }
        let Some(PendingChange {
            kind: ChangeKind::Replace { qty, price, .. },
            cl_ord_id,
            orig_cl_ord_id,
        }) = p.pending.take()
        else {
            return;
        };
        p.qty = qty;
        p.price = price;
        if let Some(cl) = &cl_ord_id {
            p.cl_ord_id = cl.clone();
            p.chain.push(cl.clone());
        }
        if let Ok(s) = p.status.transition(OrderEvent::Replaced) {
            p.status = s;
        }
        if p.cum >= p.qty {
            p.status = p.status.transition(OrderEvent::Fill).unwrap_or(p.status);
        }
        let (account, first, leaves) = (p.account.clone(), p.first_cl_ord_id().clone(), p.leaves());
        let er = self.report(&oid, ExecType::Replaced, cl_ord_id, Some(orig_cl_ord_id));
        self.emit(er);
        self.checker
            .on_order_amended(self.now, &account, &first, leaves, price);
        self.parent_check(&oid, None);
    }

    pub(super) fn venue_rejected(&mut self, r: &VenueRejected) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "reject") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        if c.status.is_terminal() {
            return;
        }
        c.status = c
            .status
            .transition(OrderEvent::Rejected)
            .or_else(|_| c.status.transition(OrderEvent::Canceled))
            .unwrap_or(OrdStatus::Rejected);
        c.pending = None;
        self.parent_check(&oid, Some(CloseHint::Rejected(r.text.clone())));
    }

    pub(super) fn venue_cancel_rejected(&mut self, r: &VenueCancelRejected) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "cancel reject") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        let kind = match &c.pending {
            Some((req, kind)) if req == &r.cl_ord_id => kind.clone(),
            _ => return, // stale: that request is already resolved
        };
        c.pending = None;
        if c.status.is_terminal() {
            // Too late at the venue because the child is done: the parent
            // resolves its request when every child is done.
            self.parent_check(&oid, None);
            return;
        }
        let filled = !c.cum.is_zero();
        let cev = match kind {
            ChangeKind::Cancel => OrderEvent::CancelRejected { filled },
            ChangeKind::Replace { .. } => OrderEvent::ReplaceRejected { filled },
        };
        if let Ok(s) = c.status.transition(cev) {
            c.status = s;
        }
        // The child is still working: the client's request failed.
        let Some(pc) = p.pending.take() else {
            return;
        };
        let filled = !p.cum.is_zero();
        let (pev, to) = match pc.kind {
            ChangeKind::Cancel => (
                OrderEvent::CancelRejected { filled },
                CxlRejResponseTo::Cancel,
            ),
            ChangeKind::Replace { .. } => (
                OrderEvent::ReplaceRejected { filled },
                CxlRejResponseTo::Replace,
            ),
        };
        if let Ok(s) = p.status.transition(pev) {
            p.status = s;
        }
        if let Some(cl) = pc.cl_ord_id {
            let session = p.session.clone();
            let text = r
                .text
                .clone()
                .unwrap_or_else(|| format!("venue {} refused the request", r.venue));
            self.cancel_reject(
                &session,
                Some(&oid),
                &cl,
                &pc.orig_cl_ord_id,
                to,
                r.reason,
                text,
            );
        }
    }

    pub(super) fn venue_bust(&mut self, r: &VenueTradeBust) {
        self.venue_adjust(&r.venue, &r.exec_id, &r.exec_ref_id, None);
    }

    /// A correction (`Some(new qty, new px)`) or a bust (`None`).
    pub(super) fn venue_adjust(
        &mut self,
        venue: &VenueId,
        exec_id: &ExecId,
        exec_ref_id: &ExecId,
        new: Option<(Qty, Px)>,
    ) {
        let akey = (venue.clone(), exec_id.clone());
        if self.st.adjustments.contains(&akey) {
            return;
        }
        let what = if new.is_some() { "correction" } else { "bust" };
        if let Some((q, px)) = new {
            if q.is_zero() || q > MAX_QTY || !px.is_sane() {
                self.alert(
                    AlertKind::UnexpectedVenueReport,
                    format!("{what} {exec_id} from {venue} to {q}@{px} ignored: out of range"),
                );
                return;
            }
        }
        let Some(f) = self.st.fill(venue.as_str(), exec_ref_id.as_str()).cloned() else {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!("{what} {exec_id} from {venue} of unknown fill {exec_ref_id}"),
            );
            return;
        };
        if f.busted {
            self.st.adjustments.insert(akey);
            return;
        }
        let trade = self
            .st
            .ledger
            .get(f.ledger_id)
            .cloned()
            .expect("fill is booked");
        if trade.status == TradeStatus::Settled {
            self.st.adjustments.insert(akey);
            self.alert(
                AlertKind::TradeCorrection,
                format!("{what} {exec_id} from {venue} of settled trade {exec_ref_id} refused"),
            );
            return;
        }
        self.st.adjustments.insert(akey);
        let (nq, npx) = new.unwrap_or((Qty::ZERO, f.px));
        // Order quantities and notional.
        let p = self.st.orders.get_mut(&f.order_id).expect("order exists");
        let c = &mut p.children[f.child];
        c.cum = Qty((c.cum.0 + nq.0).saturating_sub(f.qty.0));
        p.cum = Qty((p.cum.0 + nq.0).saturating_sub(f.qty.0));
        p.notional += nq.dec() * npx.dec() - f.qty.dec() * f.px.dec();
        let over = p.cum > p.qty;
        let ev = OrderEvent::Corrected {
            cum_zero: p.cum.is_zero(),
            complete: p.cum >= p.qty,
        };
        if let Ok(s) = p.status.transition(ev) {
            p.status = s;
        }
        // A bust reopens an order only if every child filled; one that a
        // venue had closed (canceled, expired) stays closed that way.
        if !p.status.is_terminal()
            && p.pending.is_none()
            && p.children.iter().all(|c| c.status.is_terminal())
        {
            if let Some(s) = closed_by_children(&p.children) {
                p.status = s;
            }
        }
        let (account, symbol, side) = (p.account.clone(), p.symbol.clone(), p.side);
        // Ledger and positions.
        {
            let t = self.st.ledger.get_mut(f.ledger_id).expect("fill is booked");
            if new.is_some() {
                t.qty = nq;
                t.px = npx;
            } else {
                t.status = TradeStatus::Busted;
            }
        }
        self.st.portfolio.reverse_cash(&account, side, f.qty, f.px);
        if new.is_some() {
            // Cash of the corrected trade (position rebuilt just below).
            self.st
                .portfolio
                .reverse_cash(&account, side, nq, Px(-npx.dec()));
        }
        let trades: Vec<_> = self.st.ledger.live_for(&account, &symbol).collect();
        self.st
            .portfolio
            .rebuild(&account, &symbol, trades.into_iter());
        if let Some(fr) = self
            .st
            .fills
            .get_mut(venue.as_str())
            .and_then(|m| m.get_mut(exec_ref_id.as_str()))
        {
            fr.qty = nq;
            fr.px = npx;
            fr.busted = new.is_none();
        }
        let et = if new.is_some() {
            ExecType::TradeCorrect
        } else {
            ExecType::TradeCancel
        };
        let mut er = self.report(&f.order_id, et, None, None);
        er.exec_ref_id = Some(f.client_exec_id.clone());
        er.last_qty = if new.is_some() { nq } else { f.qty };
        er.last_px = npx;
        er.last_mkt = Some(venue.clone());
        self.emit(er);
        if over {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!(
                    "order {} overfilled by correction {exec_id} from {venue}",
                    f.order_id
                ),
            );
        }
        self.alert(
            AlertKind::TradeCorrection,
            format!(
                "{what} {exec_id} from {venue}: fill {exec_ref_id} {}@{} on order {} now {}@{}",
                f.qty, f.px, f.order_id, nq, npx
            ),
        );
    }

    /// A replace of an order whose children were all canceled for it: take
    /// the new terms, report Replaced, and route the new leaves afresh.
    fn reroute_replace(
        &mut self,
        oid: &OrderId,
        cl: Option<ClOrdId>,
        orig: ClOrdId,
        qty: Qty,
        price: Option<Px>,
    ) {
        let p = self.st.orders.get_mut(oid).expect("order exists");
        p.qty = qty;
        p.price = price;
        if let Some(c) = &cl {
            p.cl_ord_id = c.clone();
            p.chain.push(c.clone());
        }
        if let Ok(s) = p.status.transition(OrderEvent::Replaced) {
            p.status = s;
        }
        if p.cum >= p.qty {
            p.status = p.status.transition(OrderEvent::Fill).unwrap_or(p.status);
        }
        let (account, first, leaves) = (p.account.clone(), p.first_cl_ord_id().clone(), p.leaves());
        let orig_field = cl.as_ref().map(|_| orig);
        let er = self.report(oid, ExecType::Replaced, cl, orig_field);
        self.emit(er);
        self.checker
            .on_order_amended(self.now, &account, &first, leaves, price);
        if leaves.is_zero() {
            return;
        }
        let p = &self.st.orders[oid];
        match self.route(p, leaves) {
            Ok(slices) => {
                let sends = self.open_children(oid, slices);
                self.out.extend(sends);
            }
            Err(text) => {
                let p = self.st.orders.get_mut(oid).expect("order exists");
                p.status = p
                    .status
                    .transition(OrderEvent::Canceled)
                    .unwrap_or(OrdStatus::Canceled);
                self.simple(oid, ExecType::Canceled, Some(text));
                self.checker.on_order_done(self.now, &account, &first);
            }
        }
    }

    /// After any child change: when every child is done, resolve a pending
    /// cancel/replace and close the parent.
    pub(super) fn parent_check(&mut self, oid: &OrderId, hint: Option<CloseHint>) {
        let p = self.st.orders.get_mut(oid).expect("order exists");
        if !p.children.iter().all(|c| c.status.is_terminal()) {
            return;
        }
        let was_terminal = p.status.is_terminal();
        if let Some(pc) = p.pending.take() {
            let session = p.session.clone();
            let to = match pc.kind {
                ChangeKind::Cancel => CxlRejResponseTo::Cancel,
                ChangeKind::Replace { .. } => CxlRejResponseTo::Replace,
            };
            if p.status == OrdStatus::Filled {
                if let Some(cl) = &pc.cl_ord_id {
                    self.cancel_reject(
                        &session,
                        Some(oid),
                        cl,
                        &pc.orig_cl_ord_id,
                        to,
                        CxlRejReason::TooLateToCancel,
                        "TooLateToCancel: order is Filled".to_owned(),
                    );
                }
                return;
            }
            match pc.kind {
                ChangeKind::Cancel => {
                    p.status = p
                        .status
                        .transition(OrderEvent::Canceled)
                        .unwrap_or(OrdStatus::Canceled);
                    if let Some(cl) = &pc.cl_ord_id {
                        p.cl_ord_id = cl.clone();
                        p.chain.push(cl.clone());
                    }
                    let (account, first) = (p.account.clone(), p.first_cl_ord_id().clone());
                    let orig = pc.cl_ord_id.as_ref().map(|_| pc.orig_cl_ord_id.clone());
                    let er = self.report(oid, ExecType::Canceled, None, orig);
                    self.emit(er);
                    if !was_terminal {
                        self.checker.on_order_done(self.now, &account, &first);
                    }
                    return;
                }
                ChangeKind::Replace {
                    qty,
                    price,
                    reroute: true,
                } => {
                    self.reroute_replace(oid, pc.cl_ord_id, pc.orig_cl_ord_id, qty, price);
                    return;
                }
                ChangeKind::Replace { reroute: false, .. } => {
                    if let Some(cl) = &pc.cl_ord_id {
                        self.cancel_reject(
                            &session,
                            Some(oid),
                            cl,
                            &pc.orig_cl_ord_id,
                            to,
                            CxlRejReason::TooLateToCancel,
                            "TooLateToCancel: order closed at the venue".to_owned(),
                        );
                    }
                }
            }
        }
        let p = self.st.orders.get_mut(oid).expect("order exists");
        if p.status.is_terminal() {
            return;
        }
        // No reason given by this event: the children say why the order
        // is over (one of several children was canceled or expired earlier
        // and the last one has now filled). If every child filled, the
        // order was reopened by a bust and stays open until the client acts.
        let hint = match hint {
            Some(h) => h,
            None => {
                let has = |s: OrdStatus| p.children.iter().any(|c| c.status == s);
                if has(OrdStatus::Expired) {
                    CloseHint::Venue(CloseKind::Expired, None)
                } else if has(OrdStatus::DoneForDay) {
                    CloseHint::Venue(CloseKind::DoneForDay, None)
                } else if has(OrdStatus::Canceled) {
                    CloseHint::Venue(CloseKind::Canceled, None)
                } else if has(OrdStatus::Rejected) {
                    CloseHint::Rejected(None)
                } else {
                    return;
                }
            }
        };
        let (ev, et, text) = match hint {
            CloseHint::Venue(CloseKind::Expired, t) => (OrderEvent::Expired, ExecType::Expired, t),
            CloseHint::Venue(CloseKind::DoneForDay, t) => {
                (OrderEvent::DoneForDay, ExecType::DoneForDay, t)
            }
            CloseHint::Venue(CloseKind::Canceled, t) => {
                (OrderEvent::Canceled, ExecType::Canceled, t)
            }
            CloseHint::Rejected(t) => {
                let never_worked = p.cum.is_zero()
                    && p.status == OrdStatus::PendingNew
                    && p.children.iter().all(|c| c.status == OrdStatus::Rejected);
                if never_worked {
                    (OrderEvent::Rejected, ExecType::Rejected, t)
                } else {
                    (OrderEvent::Canceled, ExecType::Canceled, t)
                }
            }
        };
        p.status = p
            .status
            .transition(ev)
            .or_else(|_| p.status.transition(OrderEvent::Canceled))
            .unwrap_or(OrdStatus::Canceled);
        let (account, first) = (p.account.clone(), p.first_cl_ord_id().clone());
        self.simple(oid, et, text);
        self.checker.on_order_done(self.now, &account, &first);
    }
}
