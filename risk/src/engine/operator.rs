//! Operator actions, each carrying who, when and why ([`Operator`]):
//! kill switch, trading states, overrides, locates, limits and
//! configuration. Each is authorised against the configured permissions
//! and recorded as an event.

use indexmap::IndexMap;

use crate::book::Position;
use crate::config::{ConfigError, Permission, RiskConfig};
use crate::decision::{Rule, Scope, TradingState};
use crate::events::{Operator, RiskEvent, StateCause};
use crate::limits::LevelLimits;
use crate::types::{AccountId, ClOrdId, Instrument, LocateId, SignedQty, Symbol, Timestamp};

use super::{
    instrument_wash_key, problem, settings_of, InstrumentEntry, Level, Locate, RiskEngine,
    RiskError,
};

impl RiskEngine {
    // ----- operator actions ------------------------------------------------

    pub(super) fn authorise(&self, op: &Operator, permission: Permission) -> Result<(), RiskError> {
        if op.reason.trim().is_empty() {
            return Err(RiskError::NoReason(op.id));
        }
        match self.cfg.operators.get(&op.id) {
            Some(perms) if perms.contains(&permission) => Ok(()),
            _ => Err(RiskError::NotAuthorised {
                operator: op.id,
                permission,
            }),
        }
    }

    pub(super) fn check_scope(&self, scope: Scope) -> Result<(), RiskError> {
        match scope {
            Scope::Firm => Ok(()),
            Scope::Desk(d) if self.desks.contains_key(&d) => Ok(()),
            Scope::Desk(d) => Err(RiskError::UnknownDesk(d)),
            Scope::Account(a) if self.accounts.contains_key(&a) => Ok(()),
            Scope::Account(a) => Err(RiskError::UnknownAccount(a)),
        }
    }

    pub(crate) fn level(&self, scope: Scope) -> Option<&Level> {
        match scope {
            Scope::Firm => Some(&self.firm),
            Scope::Desk(d) => self.desks.get(&d),
            Scope::Account(a) => self.accounts.get(&a).map(|a| &a.level),
        }
    }

    /// True if account index `ai` is inside `scope`.
    pub(crate) fn in_scope(&self, ai: usize, scope: Scope) -> bool {
        match scope {
            Scope::Firm => true,
            Scope::Desk(d) => self.desks.get_index_of(&d) == Some(self.accounts[ai].desk),
            Scope::Account(a) => self.accounts.get_index_of(&a) == Some(ai),
        }
    }

    /// Open orders of the accounts inside `scope`, in arrival order.
    pub fn open_orders(&self, scope: Scope) -> Vec<ClOrdId> {
        self.open
            .values()
            .filter(|o| self.in_scope(o.acc, scope))
            .map(|o| o.req.cl_ord_id)
            .collect()
    }

    /// Kill switch: HALT `scope` (no new orders) and return the open orders
    /// the OMS must cancel. Queues a state change and a kill-switch event.
    pub fn kill_switch(&mut self, scope: Scope, op: Operator) -> Result<Vec<ClOrdId>, RiskError> {
        self.authorise(&op, Permission::KillSwitch)?;
        self.check_scope(scope)?;
        let cancel = self.open_orders(scope);
        let events = &mut self.events;
        if let Some(l) = match scope {
            Scope::Firm => Some(&mut self.firm),
            Scope::Desk(d) => self.desks.get_mut(&d),
            Scope::Account(a) => self.accounts.get_mut(&a).map(|a| &mut a.level),
        } {
            l.manual = TradingState::Halted;
            l.refresh(StateCause::Operator(op.clone()), events);
        }
        self.events.push_back(RiskEvent::KillSwitch {
            scope,
            operator: op,
            cancel: cancel.clone(),
        });
        Ok(cancel)
    }

    /// Set the operator-controlled trading state of `scope`. Setting ACTIVE
    /// also lifts a drawdown tier (its high-water mark restarts from the
    /// current equity); a VaR restriction lifts by itself when VaR falls
    /// back under the limit.
    pub fn set_trading_state(
        &mut self,
        scope: Scope,
        state: TradingState,
        op: Operator,
    ) -> Result<(), RiskError> {
        self.authorise(&op, Permission::KillSwitch)?;
        self.check_scope(scope)?;
        let events = &mut self.events;
        let l = match scope {
            Scope::Firm => &mut self.firm,
            Scope::Desk(d) => self.desks.get_mut(&d).ok_or(RiskError::UnknownDesk(d))?,
            Scope::Account(a) => {
                &mut self
                    .accounts
                    .get_mut(&a)
                    .ok_or(RiskError::UnknownAccount(a))?
                    .level
            }
        };
        l.manual = state;
        if state == TradingState::Active {
            l.dd.reset();
            l.dd_state = TradingState::Active;
        }
        l.refresh(StateCause::Operator(op), events);
        Ok(())
    }

    /// Waive `rule` for `scope` until `expires` (for one order if
    /// `cl_ord_id` is given). Returns the override id; queues an event.
    pub fn override_rule(
        &mut self,
        rule: Rule,
        scope: Scope,
        cl_ord_id: Option<ClOrdId>,
        expires: Timestamp,
        op: Operator,
    ) -> Result<u64, RiskError> {
        self.authorise(&op, Permission::Override)?;
        self.check_scope(scope)?;
        self.overrides.prune(op.at);
        let id = self
            .overrides
            .grant(rule, scope, cl_ord_id, expires, op.clone());
        self.events.push_back(RiskEvent::OverrideGranted {
            id,
            rule,
            scope,
            cl_ord_id,
            expires,
            operator: op,
        });
        Ok(id)
    }

    /// Revoke an override; false if it was unknown or already used.
    pub fn revoke_override(&mut self, id: u64, op: Operator) -> Result<bool, RiskError> {
        self.authorise(&op, Permission::Override)?;
        Ok(self.overrides.revoke(id))
    }

    /// Register a locate from the stock-loan desk: `qty` shares of
    /// `symbol` for `account`, under `id`. Hard-to-borrow short sales must
    /// name a registered locate with enough quantity left.
    pub fn add_locate(&mut self, account: AccountId, symbol: Symbol, id: LocateId, qty: SignedQty) {
        self.locates.push(Locate {
            account,
            symbol,
            id,
            remaining: qty.0,
        });
    }

    /// Replace the limits of one level at run time (audited): a shortcut
    /// for [`RiskEngine::set_config`] with that level's limits changed.
    pub fn set_limits(
        &mut self,
        scope: Scope,
        limits: crate::config::Limits,
        op: Operator,
    ) -> Result<(), RiskError> {
        self.check_scope(scope)?;
        let mut cfg = self.cfg.clone();
        match scope {
            Scope::Firm => cfg.firm = limits,
            Scope::Desk(d) => {
                cfg.desks
                    .get_mut(&d)
                    .ok_or(RiskError::UnknownDesk(d))?
                    .limits = limits
            }
            Scope::Account(a) => {
                cfg.accounts
                    .get_mut(&a)
                    .ok_or(RiskError::UnknownAccount(a))?
                    .limits = limits
            }
        }
        self.set_config(cfg, op)
    }

    /// Replace limits and settings at run time (audited). Instruments,
    /// accounts and desks may be added, not removed; existing instruments
    /// keep their definition. All problems are reported at once.
    pub fn set_config(&mut self, cfg: RiskConfig, op: Operator) -> Result<(), RiskError> {
        self.authorise(&op, Permission::Limits)?;
        let mut problems = cfg.validate("<operator>");
        for s in self.instruments.keys() {
            match cfg.instruments.iter().find(|i| i.symbol == *s) {
                None => problems.push(problem(
                    "instruments",
                    format!("cannot remove {s} at run time"),
                )),
                Some(i) if *i != self.instruments[s].spec => problems.push(problem(
                    "instruments",
                    format!("cannot redefine {s} at run time"),
                )),
                _ => {}
            }
        }
        for a in self.accounts.keys() {
            match cfg.accounts.get(a) {
                None => problems.push(problem(
                    "accounts",
                    format!("cannot remove {a} at run time"),
                )),
                Some(c) if c.desk != self.cfg.accounts[a].desk => problems.push(problem(
                    &format!("accounts.{a}.desk"),
                    "cannot move an account at run time".into(),
                )),
                _ => {}
            }
        }
        for d in self.desks.keys() {
            if !cfg.desks.contains_key(d) {
                problems.push(problem("desks", format!("cannot remove {d} at run time")));
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems).into());
        }
        // New instruments are appended, so every existing index stays valid.
        for spec in &cfg.instruments {
            if !self.instruments.contains_key(&spec.symbol) {
                self.sectors.insert(spec.sector);
                let sector = self.sectors.get_index_of(&spec.sector).unwrap_or(0);
                self.instruments.insert(
                    spec.symbol,
                    InstrumentEntry::new(spec, sector, None, cfg.var.lambda),
                );
            }
        }
        let specs: IndexMap<Symbol, Instrument> = self
            .instruments
            .iter()
            .map(|(s, e)| (*s, e.spec.clone()))
            .collect();
        for i in 0..specs.len() {
            let key = instrument_wash_key(&specs[i], &specs, i);
            let e = &mut self.instruments[i];
            e.wash_key = key;
            e.restricted = cfg.restricted.contains(&e.spec.symbol);
            e.htb = cfg.hard_to_borrow.contains(&e.spec.symbol);
        }
        let (n_ins, n_sec) = (specs.len(), self.sectors.len());
        self.var_model.grow(n_ins);
        self.firm.limits = LevelLimits::compile(&cfg.firm, &specs, &self.sectors);
        self.firm.agg.grow(n_sec, n_ins);
        if let Some(v) = &mut self.firm.var {
            v.rebuild(&self.var_model);
        }
        for (id, d) in &cfg.desks {
            let limits = LevelLimits::compile(&d.limits, &specs, &self.sectors);
            match self.desks.get_mut(id) {
                Some(l) => {
                    l.limits = limits;
                    l.agg.grow(n_sec, n_ins);
                }
                None => {
                    self.desks.insert(
                        *id,
                        Level::new(Scope::Desk(*id), limits, n_sec, n_ins, None),
                    );
                }
            }
        }
        let old_accounts: Vec<AccountId> = self.accounts.keys().copied().collect();
        self.cfg = cfg;
        for (id, a) in self.cfg.accounts.clone() {
            if old_accounts.contains(&id) {
                let limits = LevelLimits::compile(&a.limits, &specs, &self.sectors);
                let desk = self.desks.get_index_of(&a.desk).unwrap_or(0);
                let acc = &mut self.accounts[&id];
                acc.level.limits = limits;
                acc.level.agg.grow(n_sec, n_ins);
                acc.positions.resize(n_ins, Position::default());
                acc.settings = settings_of(&a);
                acc.desk = desk;
                if let Some(v) = &mut acc.level.var {
                    v.rebuild(&self.var_model);
                }
            } else {
                self.add_account(id, &specs);
            }
        }
        self.events
            .push_back(RiskEvent::ConfigChanged { operator: op });
        Ok(())
    }
}
