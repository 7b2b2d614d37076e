//! The bridge between the session and the dictionary validator, and the
//! standard validators per BeginString (compiled once per process).

use super::MessageValidator;
use crate::codec::Message;
use crate::validate::{ValidationOptions, Validator};
use std::sync::{Arc, OnceLock};

impl MessageValidator for Validator {
    fn validate(&self, msg: &Message) -> Result<(), (u32, Option<i32>)> {
        Validator::validate(self, msg).map_err(|r| (r.reason.code(), r.ref_tag))
    }
}

/// The validator for the standard dictionaries of `begin_string`
/// (FIX.4.2, FIX.4.4, or FIXT.1.1 with FIX.5.0SP2 application messages).
pub fn standard_validator(begin_string: &str) -> Option<Arc<dyn MessageValidator>> {
    static FIX42: OnceLock<Arc<Validator>> = OnceLock::new();
    static FIX44: OnceLock<Arc<Validator>> = OnceLock::new();
    static FIXT: OnceLock<Arc<Validator>> = OnceLock::new();
    let opts = ValidationOptions::default();
    let v = match begin_string {
        "FIX.4.2" => FIX42
            .get_or_init(|| Arc::new(Validator::new(fix_dictionaries::fix42(), None, opts)))
            .clone(),
        "FIX.4.4" => FIX44
            .get_or_init(|| Arc::new(Validator::new(fix_dictionaries::fix44(), None, opts)))
            .clone(),
        "FIXT.1.1" => FIXT
            .get_or_init(|| {
                Arc::new(Validator::new(
                    fix_dictionaries::fixt11(),
                    Some(fix_dictionaries::fix50sp2()),
                    opts,
                ))
            })
            .clone(),
        _ => return None,
    };
    Some(v)
}
