//! `fixgw acceptance-server`: the acceptor the FIX session acceptance suite
//! runs against (see ARCHITECTURE.md). SenderCompID ISLD; sessions TW42
//! (FIX.4.2), TW44 (FIX.4.4) and TW50SP2 (FIXT.1.1, DefaultApplVerID 9);
//! ResetOnLogon; in-memory store; dictionary validation; an echo
//! application.

use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::{
    copy_unstamped_fields, AppContext, AppReject, Application, MessageValidator, MsgType, Role,
    SessionConfig, SessionEvent,
};
use fix_engine::store::MemoryStoreFactory;
use fix_engine::transport::{Acceptor, AcceptorConfig, SessionSpec};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

/// Echoes NewOrderSingle, SecurityDefinition and Email back unchanged;
/// drops a PossResend=Y NewOrderSingle whose ClOrdID was already seen in
/// this logon; answers anything else with BusinessMessageReject.
#[derive(Default)]
pub struct EchoApp {
    seen_cl_ord_ids: HashSet<Vec<u8>>,
}

impl Application for EchoApp {
    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        // SecurityDefinition (d) and Email (C) are echoed as they are.
        let msg_type = MsgType::of(msg);
        if !matches!(
            msg_type,
            MsgType::NewOrderSingle | MsgType::Other(b"d") | MsgType::Other(b"C")
        ) {
            return Err(AppReject::UnsupportedMessageType);
        }
        if msg_type == MsgType::NewOrderSingle {
            if let Some(id) = msg.get(11) {
                let fresh = self.seen_cl_ord_ids.insert(id.to_vec());
                if !fresh && msg.get_bool(97) == Some(true) {
                    return Ok(());
                }
            }
        }
        ctx.send(echo_of(msg));
        Ok(())
    }

    fn on_event(&mut self, _ctx: &mut AppContext<'_>, event: &SessionEvent) {
        if matches!(event, SessionEvent::LoggedOn { .. }) {
            self.seen_cl_ord_ids.clear();
        }
    }
}

/// The message with our header in place of the sender's: every field but
/// the ones the session stamps (and PossDupFlag/OrigSendingTime, which a
/// fresh send must not carry).
pub fn echo_of(msg: &Message) -> MessageBuilder {
    let mut m = MessageBuilder::new(msg.msg_type_str());
    copy_unstamped_fields(msg, &mut m);
    m
}

/// Builds the acceptance acceptor on `bind` (not yet listening).
pub async fn acceptor(
    bind: SocketAddr,
    validator: impl Fn(&str) -> Option<Arc<dyn MessageValidator>>,
) -> anyhow::Result<Acceptor> {
    let acceptor = Acceptor::new(AcceptorConfig::new(bind), Arc::new(MemoryStoreFactory));
    for (begin, target) in [
        ("FIX.4.2", "TW42"),
        ("FIX.4.4", "TW44"),
        ("FIXT.1.1", "TW50SP2"),
    ] {
        let mut cfg = SessionConfig::new(begin, "ISLD", target, Role::Acceptor);
        cfg.reset_on_logon = true;
        acceptor
            .add_session(SessionSpec {
                validator: validator(begin),
                config: cfg,
                app: Box::new(EchoApp::default()),
            })
            .await?;
    }
    Ok(acceptor)
}
