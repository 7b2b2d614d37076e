//! Risk: pre-trade checks, market state and compliance rules, real-time risk
//! and the kill switch. Pure logic, no IO. Filled by the risk issue.
#![forbid(unsafe_code)]
