//! The bridge between the session and the dictionary validator, and the
//! standard validators per BeginString (compiled once per process).

use super::MessageValidator;
use crate::codec::Message;
use crate::validate::{Rejection, ValidationOptions, Validator};
use std::sync::{Arc, OnceLock};

impl MessageValidator for Validator {
    fn validate(&self, msg: &Message) -> Result<(), Rejection> {
        Validator::validate(self, msg)
    }
}

/// The validator for the standard dictionaries of `begin_string`
/// (FIX.4.2, FIX.4.4, or FIXT.1.1 with FIX.5.0SP2 application messages).
pub fn standard_validator(begin_string: &str) -> Option<Arc<dyn MessageValidator>> {
    static FIX42: OnceLock<Arc<Validator>> = OnceLock::new();
    static FIX44: OnceLock<Arc<Validator>> = OnceLock::new();
    static FIXT: OnceLock<Arc<Validator>> = OnceLock::new();
    compiled(
        begin_string,
        ValidationOptions::default(),
        [&FIX42, &FIX44, &FIXT],
    )
}

/// [`standard_validator`] without the check that enumerated fields carry
/// a value their dictionary lists (QuickFIX's ValidateFieldsOutOfRange=N).
/// For sessions whose counterparty may use values of a later version or
/// its own (a venue's OrdRejReason, say), where refusing the whole
/// message at session level would lose it: everything else is checked.
pub fn lenient_enum_validator(begin_string: &str) -> Option<Arc<dyn MessageValidator>> {
    static FIX42: OnceLock<Arc<Validator>> = OnceLock::new();
    static FIX44: OnceLock<Arc<Validator>> = OnceLock::new();
    static FIXT: OnceLock<Arc<Validator>> = OnceLock::new();
    compiled(
        begin_string,
        ValidationOptions {
            check_enum_values: false,
            ..ValidationOptions::default()
        },
        [&FIX42, &FIX44, &FIXT],
    )
}

fn compiled(
    begin_string: &str,
    opts: ValidationOptions,
    [fix42, fix44, fixt]: [&OnceLock<Arc<Validator>>; 3],
) -> Option<Arc<dyn MessageValidator>> {
    let v = match begin_string {
        "FIX.4.2" => fix42
            .get_or_init(|| Arc::new(Validator::new(fix_dictionaries::fix42(), None, opts)))
            .clone(),
        "FIX.4.4" => fix44
            .get_or_init(|| Arc::new(Validator::new(fix_dictionaries::fix44(), None, opts)))
            .clone(),
        "FIXT.1.1" => fixt
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_message;

    fn report(ord_rej_reason: &str) -> Message {
        let mut out = Vec::new();
        let body = format!(
            "37=X1\x0111=C1\x0117=E1\x01150=8\x0139=8\x0155=AAPL\x0154=1\x01\
             151=0\x0114=0\x016=0\x01103={ord_rej_reason}\x01"
        );
        encode_message(
            &mut out,
            "FIX.4.4",
            "8",
            "SIMX",
            "GATEWAY",
            2,
            b"20260302-15:00:00.000",
            b"",
            body.as_bytes(),
        );
        Message::parse(out.into()).unwrap()
    }

    #[test]
    fn the_lenient_validator_takes_values_the_dictionary_does_not_list_and_nothing_else() {
        let strict = standard_validator("FIX.4.4").unwrap();
        let lenient = lenient_enum_validator("FIX.4.4").unwrap();
        // 16 (price band) is FIX 5.0's, not FIX 4.4's.
        assert_eq!(
            strict.validate(&report("16")),
            Err(Rejection::at(
                crate::validate::SessionRejectReason::ValueIsIncorrect,
                103
            ))
        );
        assert_eq!(lenient.validate(&report("16")), Ok(()));
        assert_eq!(strict.validate(&report("99")), Ok(()));
        // Still a validator: a value of the wrong type is refused.
        assert!(lenient.validate(&report("X")).is_err());
    }
}
