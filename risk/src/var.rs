//! Value at Risk, 99% one-day: parametric with an EWMA covariance matrix
//! (RiskMetrics) and historical simulation, both updated incrementally.
//!
//! Owns [`VarModel`] (the market side: daily returns, the EWMA covariance
//! and the window of historical scenarios, shared by every portfolio) and
//! [`PortfolioVar`] (one portfolio's dollar weights and the running
//! quantities that make an update cheap). Statistics are `f64`; money
//! crosses in and out as `Decimal` at the engine's edge.
//!
//! Incremental updates: with weights `w` (position x price x multiplier)
//! and covariance `S`, the engine keeps `m = S w` and `v = w'Sw`. When one
//! weight changes by `d`, `v += 2 d m_i + d^2 S_ii` and `m += d S[.,i]`:
//! O(n) instead of O(n^2). Each historical scenario's P&L `p_s = sum_i w_i
//! r_si` moves by `d r_si`: O(T). Only the daily close, which changes `S`
//! and the scenarios, rebuilds in O(n^2 + nT).

/// One-sided 99% normal quantile.
pub const Z99: f64 = 2.326_347_874_040_841;

/// Market side of the VaR models.
#[derive(Clone, Debug)]
pub struct VarModel {
    n: usize,
    lambda: f64,
    cap: usize,
    cov: Vec<f64>,
    hist: Vec<f64>,
    len: usize,
    head: usize,
    last_close: Vec<Option<f64>>,
    returns_seen: usize,
}

impl VarModel {
    /// A model for `n` instruments, EWMA decay `lambda`, `cap` days of
    /// historical scenarios.
    pub fn new(n: usize, lambda: f64, cap: usize) -> VarModel {
        let cap = cap.max(1);
        VarModel {
            n,
            lambda,
            cap,
            cov: vec![0.0; n * n],
            hist: vec![0.0; n * cap],
            len: 0,
            head: 0,
            last_close: vec![None; n],
            returns_seen: 0,
        }
    }

    /// Number of instruments.
    pub fn instruments(&self) -> usize {
        self.n
    }

    /// Number of historical scenarios held.
    pub fn scenarios(&self) -> usize {
        self.len
    }

    /// Covariance of returns of instruments `i` and `j`.
    pub fn cov(&self, i: usize, j: usize) -> f64 {
        self.cov[i * self.n + j]
    }

    /// EWMA volatility (daily) of instrument `i`.
    pub fn vol(&self, i: usize) -> f64 {
        self.cov(i, i).max(0.0).sqrt()
    }

    /// Grow to `n` instruments (new ones have no history).
    pub fn grow(&mut self, n: usize) {
        if n <= self.n {
            return;
        }
        let mut cov = vec![0.0; n * n];
        for i in 0..self.n {
            cov[i * n..i * n + self.n].copy_from_slice(&self.cov[i * self.n..(i + 1) * self.n]);
        }
        self.cov = cov;
        self.hist.resize(n * self.cap, 0.0);
        self.last_close.resize(n, None);
        self.n = n;
    }

    /// Daily closes (`closes[i]` for instrument `i`, None if it did not
    /// trade). Computes simple returns against the previous close, updates
    /// the covariance and writes a new scenario. Returns the slot written,
    /// or None on the first day (no returns yet). Portfolios must be
    /// rebuilt afterwards.
    pub fn on_close(&mut self, closes: &[Option<f64>]) -> Option<usize> {
        let mut r = vec![0.0; self.n];
        let mut any = false;
        for (i, c) in closes.iter().enumerate().take(self.n) {
            if let (Some(c), Some(prev)) = (*c, self.last_close[i]) {
                if prev > 0.0 {
                    r[i] = c / prev - 1.0;
                    any = true;
                }
            }
            if c.is_some() {
                self.last_close[i] = *c;
            }
        }
        if !any {
            return None;
        }
        let l = if self.returns_seen == 0 {
            0.0
        } else {
            self.lambda
        };
        for i in 0..self.n {
            let row = &mut self.cov[i * self.n..(i + 1) * self.n];
            for (j, c) in row.iter_mut().enumerate() {
                *c = l * *c + (1.0 - l) * r[i] * r[j];
            }
        }
        self.returns_seen += 1;
        let slot = self.head;
        for (i, ri) in r.iter().enumerate() {
            self.hist[i * self.cap + slot] = *ri;
        }
        self.head = (self.head + 1) % self.cap;
        self.len = (self.len + 1).min(self.cap);
        Some(slot)
    }
}

/// One portfolio's VaR state.
#[derive(Clone, Debug)]
pub struct PortfolioVar {
    w: Vec<f64>,
    m: Vec<f64>,
    variance: f64,
    pnl: Vec<f64>,
    scratch: Vec<f64>,
}

impl PortfolioVar {
    /// Empty portfolio sized for `model`.
    pub fn new(model: &VarModel) -> PortfolioVar {
        PortfolioVar {
            w: vec![0.0; model.n],
            m: vec![0.0; model.n],
            variance: 0.0,
            pnl: vec![0.0; model.cap],
            scratch: Vec::with_capacity(model.cap),
        }
    }

    /// Dollar weight of instrument `i`.
    pub fn weight(&self, i: usize) -> f64 {
        self.w.get(i).copied().unwrap_or(0.0)
    }

    /// Set the dollar weight of instrument `i`, updating incrementally.
    pub fn set_weight(&mut self, model: &VarModel, i: usize, w_new: f64) {
        if i >= self.w.len() {
            return;
        }
        let d = w_new - self.w[i];
        if d == 0.0 {
            return;
        }
        let n = model.n;
        let col = &model.cov[i * n..(i + 1) * n]; // symmetric: row i == column i
        self.variance += 2.0 * d * self.m[i] + d * d * col[i];
        for (mj, cj) in self.m.iter_mut().zip(col) {
            *mj += d * cj;
        }
        let hist = &model.hist[i * model.cap..(i + 1) * model.cap];
        for (p, r) in self.pnl.iter_mut().zip(hist) {
            *p += d * r;
        }
        self.w[i] = w_new;
    }

    /// Recompute everything from the weights (after the model changed).
    pub fn rebuild(&mut self, model: &VarModel) {
        let n = model.n;
        self.w.resize(n, 0.0);
        self.m.resize(n, 0.0);
        self.pnl.resize(model.cap, 0.0);
        let mut v = 0.0;
        for i in 0..n {
            let row = &model.cov[i * n..(i + 1) * n];
            let mi: f64 = row.iter().zip(&self.w).map(|(c, w)| c * w).sum();
            self.m[i] = mi;
            v += self.w[i] * mi;
        }
        self.variance = v;
        for s in 0..model.cap {
            self.pnl[s] = (0..n)
                .map(|i| self.w[i] * model.hist[i * model.cap + s])
                .sum();
        }
    }

    /// Parametric 99% one-day VaR (positive number, currency units).
    pub fn parametric(&self) -> f64 {
        Z99 * self.variance.max(0.0).sqrt()
    }

    /// Historical-simulation 99% one-day VaR: the loss exceeded in 1% of
    /// the scenarios held (0 with no scenarios).
    pub fn historical(&mut self, model: &VarModel) -> f64 {
        let len = model.len;
        if len == 0 {
            return 0.0;
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.pnl[..len]);
        let k = ((len as f64) * 0.01).ceil().max(1.0) as usize - 1;
        let (_, kth, _) = self
            .scratch
            .select_nth_unstable_by(k, |a, b| a.total_cmp(b));
        (-*kth).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn model_with_history(n: usize, days: usize, seed: u64) -> VarModel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut m = VarModel::new(n, 0.94, 250);
        let mut px: Vec<f64> = (0..n).map(|i| 50.0 + i as f64).collect();
        m.on_close(&px.iter().map(|p| Some(*p)).collect::<Vec<_>>());
        for _ in 0..days {
            let common: f64 = rng.gen_range(-0.02..0.02);
            for p in &mut px {
                *p *= 1.0 + common + rng.gen_range(-0.01..0.01);
            }
            m.on_close(&px.iter().map(|p| Some(*p)).collect::<Vec<_>>());
        }
        m
    }

    #[test]
    fn single_asset_parametric_var_is_z_sigma_w() {
        let mut m = VarModel::new(1, 0.94, 10);
        assert_eq!(m.on_close(&[Some(100.0)]), None);
        m.on_close(&[Some(102.0)]); // +2%: first return seeds the variance
        assert!((m.vol(0) - 0.02).abs() < 1e-12);
        let mut p = PortfolioVar::new(&m);
        p.rebuild(&m);
        p.set_weight(&m, 0, 1_000_000.0);
        assert!((p.parametric() - Z99 * 0.02 * 1_000_000.0).abs() < 1e-6);
        // Next return -1%: variance 0.94*0.0004 + 0.06*0.0001.
        m.on_close(&[Some(100.98)]);
        let expect = (0.94f64 * 0.0004 + 0.06 * 0.0001).sqrt();
        assert!((m.vol(0) - expect).abs() < 1e-9);
    }

    #[test]
    fn incremental_updates_match_a_full_rebuild() {
        let m = model_with_history(40, 120, 7);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut inc = PortfolioVar::new(&m);
        for _ in 0..500 {
            let i = rng.gen_range(0..40);
            inc.set_weight(&m, i, rng.gen_range(-1e6..1e6));
        }
        let mut full = inc.clone();
        full.rebuild(&m);
        let rel = (inc.parametric() - full.parametric()).abs() / full.parametric();
        assert!(rel < 1e-9, "{} vs {}", inc.parametric(), full.parametric());
        let (a, b) = (inc.historical(&m), full.historical(&m));
        assert!((a - b).abs() / b < 1e-9);
    }

    #[test]
    fn historical_var_picks_the_one_percent_worst_scenario() {
        let mut m = VarModel::new(1, 0.94, 200);
        let mut px = 100.0;
        m.on_close(&[Some(px)]);
        // 200 returns: -10%, -5%, then 198 of +1%.
        for r in [-0.10, -0.05]
            .into_iter()
            .chain(std::iter::repeat_n(0.01, 198))
        {
            px *= 1.0 + r;
            m.on_close(&[Some(px)]);
        }
        let mut p = PortfolioVar::new(&m);
        p.rebuild(&m);
        p.set_weight(&m, 0, 1000.0);
        // 1% of 200 = 2: the second worst loss, 5% of 1000.
        assert!((p.historical(&m) - 50.0).abs() < 1e-9);
        // A short position loses on the up days.
        p.set_weight(&m, 0, -1000.0);
        assert!((p.historical(&m) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn diversification_lowers_var() {
        let m = model_with_history(2, 200, 3);
        let mut one = PortfolioVar::new(&m);
        one.set_weight(&m, 0, 2e6);
        let mut two = PortfolioVar::new(&m);
        two.set_weight(&m, 0, 1e6);
        two.set_weight(&m, 1, 1e6);
        assert!(two.parametric() <= one.parametric() + 1e-6);
        let mut hedged = PortfolioVar::new(&m);
        hedged.set_weight(&m, 0, 1e6);
        hedged.set_weight(&m, 1, -1e6);
        assert!(hedged.parametric() < 0.5 * two.parametric());
    }
}
