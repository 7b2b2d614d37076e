//! The FIX tag numbers and message types the gateway's mapping reads or
//! writes, by their FIX names. Owns names only: what a field means for
//! the OMS is decided in the `client`, `venue` and `market_data` modules.

/// Account (1).
pub(crate) const ACCOUNT: u32 = 1;
/// AvgPx (6).
pub(crate) const AVG_PX: u32 = 6;
/// ClOrdID (11).
pub(crate) const CL_ORD_ID: u32 = 11;
/// CumQty (14).
pub(crate) const CUM_QTY: u32 = 14;
/// ExecID (17).
pub(crate) const EXEC_ID: u32 = 17;
/// ExecRefID (19).
pub(crate) const EXEC_REF_ID: u32 = 19;
/// ExecTransType (20), FIX 4.2 only.
pub(crate) const EXEC_TRANS_TYPE: u32 = 20;
/// HandlInst (21).
pub(crate) const HANDL_INST: u32 = 21;
/// LastMkt (30).
pub(crate) const LAST_MKT: u32 = 30;
/// LastPx (31).
pub(crate) const LAST_PX: u32 = 31;
/// LastQty (32; LastShares up to FIX 4.2).
pub(crate) const LAST_QTY: u32 = 32;
/// MsgType (35).
pub(crate) const MSG_TYPE: u32 = 35;
/// OrderID (37).
pub(crate) const ORDER_ID: u32 = 37;
/// OrderQty (38).
pub(crate) const ORDER_QTY: u32 = 38;
/// OrdStatus (39).
pub(crate) const ORD_STATUS: u32 = 39;
/// OrdType (40).
pub(crate) const ORD_TYPE: u32 = 40;
/// OrigClOrdID (41).
pub(crate) const ORIG_CL_ORD_ID: u32 = 41;
/// PossDupFlag (43).
pub(crate) const POSS_DUP_FLAG: u32 = 43;
/// Price (44).
pub(crate) const PRICE: u32 = 44;
/// Side (54).
pub(crate) const SIDE: u32 = 54;
/// Symbol (55).
pub(crate) const SYMBOL: u32 = 55;
/// Text (58).
pub(crate) const TEXT: u32 = 58;
/// TimeInForce (59).
pub(crate) const TIME_IN_FORCE: u32 = 59;
/// TransactTime (60).
pub(crate) const TRANSACT_TIME: u32 = 60;
/// CxlRejReason (102).
pub(crate) const CXL_REJ_REASON: u32 = 102;
/// OrdRejReason (103).
pub(crate) const ORD_REJ_REASON: u32 = 103;
/// NoRelatedSym (146).
pub(crate) const NO_RELATED_SYM: u32 = 146;
/// ExecType (150).
pub(crate) const EXEC_TYPE: u32 = 150;
/// LeavesQty (151).
pub(crate) const LEAVES_QTY: u32 = 151;
/// MDReqID (262).
pub(crate) const MD_REQ_ID: u32 = 262;
/// SubscriptionRequestType (263).
pub(crate) const SUBSCRIPTION_REQUEST_TYPE: u32 = 263;
/// MarketDepth (264).
pub(crate) const MARKET_DEPTH: u32 = 264;
/// MDUpdateType (265).
pub(crate) const MD_UPDATE_TYPE: u32 = 265;
/// NoMDEntryTypes (267).
pub(crate) const NO_MD_ENTRY_TYPES: u32 = 267;
/// NoMDEntries (268).
pub(crate) const NO_MD_ENTRIES: u32 = 268;
/// MDEntryType (269).
pub(crate) const MD_ENTRY_TYPE: u32 = 269;
/// MDEntryPx (270).
pub(crate) const MD_ENTRY_PX: u32 = 270;
/// MDEntrySize (271).
pub(crate) const MD_ENTRY_SIZE: u32 = 271;
/// MDUpdateAction (279).
pub(crate) const MD_UPDATE_ACTION: u32 = 279;
/// MDReqRejReason (281).
pub(crate) const MD_REQ_REJ_REASON: u32 = 281;
/// MDEntryPositionNo (290).
pub(crate) const MD_ENTRY_POSITION_NO: u32 = 290;
/// CxlRejResponseTo (434).
pub(crate) const CXL_REJ_RESPONSE_TO: u32 = 434;
/// TrdMatchID (880).
pub(crate) const TRD_MATCH_ID: u32 = 880;
