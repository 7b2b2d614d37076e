//! The order management system: orders, state machine, routing, positions,
//! settlement and the event journal. Filled by the gateway/OMS issue.
#![forbid(unsafe_code)]
