//! Operator overrides: an authorised operator waives one rule for an
//! account, a desk or the firm, until a time, optionally for one order.
//!
//! Owns the list of live overrides and their matching. Granting one is an
//! operator action (who, when, why) and an event; using one is recorded in
//! the decision ([`crate::Decision::Accept`] `overridden`) and as an event,
//! so the audit trail shows both.

use crate::decision::{Rule, Scope};
use crate::events::Operator;
use crate::types::{AccountId, ClOrdId, DeskId, Timestamp};

/// A live override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Id, unique within the engine's life.
    pub id: u64,
    /// Rule waived.
    pub rule: Rule,
    /// Level it covers.
    pub scope: Scope,
    /// Restricted to this order (and then single-use).
    pub cl_ord_id: Option<ClOrdId>,
    /// Expiry.
    pub expires: Timestamp,
    /// Who granted it, when and why.
    pub operator: Operator,
}

/// The live overrides.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    list: Vec<Override>,
    next_id: u64,
}

impl Overrides {
    /// Add one and return its id.
    pub fn grant(
        &mut self,
        rule: Rule,
        scope: Scope,
        cl_ord_id: Option<ClOrdId>,
        expires: Timestamp,
        operator: Operator,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.list.push(Override {
            id,
            rule,
            scope,
            cl_ord_id,
            expires,
            operator,
        });
        id
    }

    /// Remove one; false if unknown.
    pub fn revoke(&mut self, id: u64) -> bool {
        let before = self.list.len();
        self.list.retain(|o| o.id != id);
        self.list.len() != before
    }

    /// The override that waives `rule` for this order, if any.
    pub fn find(
        &self,
        now: Timestamp,
        rule: Rule,
        account: AccountId,
        desk: DeskId,
        cl_ord_id: ClOrdId,
    ) -> Option<u64> {
        if self.list.is_empty() {
            return None;
        }
        self.list
            .iter()
            .find(|o| {
                o.rule == rule
                    && now < o.expires
                    && o.cl_ord_id.is_none_or(|c| c == cl_ord_id)
                    && match o.scope {
                        Scope::Firm => true,
                        Scope::Desk(d) => d == desk,
                        Scope::Account(a) => a == account,
                    }
            })
            .map(|o| o.id)
    }

    /// An order went out under override `id`: single-order overrides are
    /// used up.
    pub fn used(&mut self, id: u64) {
        self.list.retain(|o| o.id != id || o.cl_ord_id.is_none());
    }

    /// Drop expired overrides.
    pub fn prune(&mut self, now: Timestamp) {
        self.list.retain(|o| now < o.expires);
    }

    /// Live overrides, in grant order.
    pub fn iter(&self) -> impl Iterator<Item = &Override> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::OperatorId;

    fn op() -> Operator {
        Operator {
            id: OperatorId::new("alice").unwrap(),
            at: Timestamp(0),
            reason: "client call".into(),
        }
    }

    #[test]
    fn overrides_match_scope_rule_expiry_and_order() {
        let a = AccountId::new("A1").unwrap();
        let b = AccountId::new("B1").unwrap();
        let d = DeskId::new("D").unwrap();
        let c1 = ClOrdId::new("c1").unwrap();
        let c2 = ClOrdId::new("c2").unwrap();
        let mut o = Overrides::default();
        let id = o.grant(
            Rule::MaxOrderQty,
            Scope::Account(a),
            None,
            Timestamp(100),
            op(),
        );
        assert_eq!(o.find(Timestamp(99), Rule::MaxOrderQty, a, d, c1), Some(id));
        assert_eq!(
            o.find(Timestamp(99), Rule::MaxOrderQty, a, d, c2),
            Some(id),
            "reusable"
        );
        assert_eq!(
            o.find(Timestamp(100), Rule::MaxOrderQty, a, d, c1),
            None,
            "expired"
        );
        assert_eq!(
            o.find(Timestamp(1), Rule::MaxOrderQty, b, d, c1),
            None,
            "other account"
        );
        assert_eq!(
            o.find(Timestamp(1), Rule::PriceCollar, a, d, c1),
            None,
            "other rule"
        );
        let one = o.grant(
            Rule::PriceCollar,
            Scope::Desk(d),
            Some(c1),
            Timestamp(100),
            op(),
        );
        assert_eq!(
            o.find(Timestamp(1), Rule::PriceCollar, b, d, c2),
            None,
            "other order"
        );
        assert_eq!(o.find(Timestamp(1), Rule::PriceCollar, b, d, c1), Some(one));
        o.used(one);
        assert_eq!(
            o.find(Timestamp(1), Rule::PriceCollar, b, d, c1),
            None,
            "single use"
        );
        o.used(id);
        assert_eq!(
            o.find(Timestamp(1), Rule::MaxOrderQty, a, d, c1),
            Some(id),
            "not single use"
        );
        assert!(o.revoke(id));
        assert!(!o.revoke(id));
    }
}
