//! Inbound 997 / 999 → [`InboundAck`]: the partner's verdict on a group
//! dropgate sent, with AK3/AK4 (IK3/IK4) and set error codes in words.

use super::common::{self, el, req_string, Issues};
use super::lexer::Segment;
use crate::formats::x12::ack::SegmentErrorCode;
use crate::formats::x12::model::{InboundAck, InboundSetAck};

fn known(id: &[u8]) -> bool {
    matches!(id, b"AK1" | b"AK2" | b"AK3" | b"AK4" | b"AK5" | b"AK9" | b"IK3" | b"IK4" | b"IK5" | b"CTX")
}

fn segment_code_words(code: &[u8]) -> &'static str {
    match code {
        b"1" => "unrecognized segment ID",
        b"2" => "unexpected segment",
        b"3" => "required segment missing",
        b"4" => "loop occurs over maximum times",
        b"5" => "segment exceeds maximum use",
        b"6" => "segment not in defined transaction set",
        b"7" => "segment not in proper sequence",
        b"8" => "segment has data element errors",
        b"I4" => "implementation \"not used\" segment present",
        b"I6" => "implementation dependent segment missing",
        b"I7" => "implementation loop occurs under minimum times",
        b"I8" => "implementation segment below minimum use",
        b"I9" => "implementation dependent \"not used\" segment present",
        _ => "error",
    }
}

fn element_code_words(code: &[u8]) -> &'static str {
    match code {
        b"1" => "required data element missing",
        b"2" => "conditional required data element missing",
        b"3" => "too many data elements",
        b"4" => "data element too short",
        b"5" => "data element too long",
        b"6" => "invalid character in data element",
        b"7" => "invalid code value",
        b"8" => "invalid date",
        b"9" => "invalid time",
        b"10" => "exclusion condition violated",
        b"12" => "too many repetitions",
        b"13" => "too many components",
        b"I10" => "implementation \"not used\" data element present",
        b"I11" => "implementation too few repetitions",
        b"I12" => "implementation pattern match failure",
        b"I13" => "implementation dependent \"not used\" data element present",
        b"I6" => "code value not used in implementation",
        b"I9" => "implementation dependent data element missing",
        _ => "error",
    }
}

fn set_code_words(code: &[u8]) -> &'static str {
    match code {
        b"1" => "transaction set not supported",
        b"2" => "transaction set trailer missing",
        b"3" => "transaction set control number in header and trailer do not match",
        b"4" => "number of included segments does not match actual count",
        b"5" => "one or more segments in error",
        b"6" => "missing or invalid transaction set identifier",
        b"7" => "missing or invalid transaction set control number",
        b"8" => "authentication key name unknown",
        b"9" => "encryption key name unknown",
        b"10" => "requested service not available",
        b"11" => "unknown security recipient",
        b"12" => "incorrect message length",
        b"13" => "message authentication code failed",
        b"15" => "unknown security originator",
        b"16" => "syntax error in decrypted text",
        b"17" => "security not supported",
        b"18" => "transaction set not in functional group",
        b"19" => "invalid transaction set implementation convention reference",
        b"23" => "transaction set control number not unique within the functional group",
        b"24" => "S3E security end segment missing for S3S",
        b"25" => "S3S security start segment missing for S3E",
        b"26" => "S4E security end segment missing for S4S",
        b"27" => "S4S security start segment missing for S4E",
        b"I5" => "implementation one or more segments in error",
        b"I6" => "implementation convention not supported",
        _ => "error",
    }
}

/// Reads the segments between ST and SE of a 997 or 999.
pub(crate) fn read(
    kind: &str,
    st: &Segment<'_>,
    body: &[Segment<'_>],
    se: &Segment<'_>,
    iss: &mut Issues,
) -> InboundAck {
    let mut ack = InboundAck {
        kind: kind.to_string(),
        functional_id: String::new(),
        group_control: String::new(),
        sets: Vec::new(),
        group_code: String::new(),
    };
    let mut f: Vec<&[u8]> = Vec::with_capacity(16);
    let (mut ak1, mut ak9) = (false, false);
    for seg in body {
        seg.split_into(&mut f);
        let id = f.first().copied().unwrap_or(b"");
        match id {
            b"AK1" => {
                ak1 = true;
                if el(&f, 1).is_empty() {
                    iss.missing(seg, 1, 479, format_args!("AK1: functional identifier code"));
                }
                if el(&f, 2).is_empty() {
                    iss.missing(seg, 2, 28, format_args!("AK1: group control number"));
                }
                ack.functional_id = req_string(&f, 1);
                ack.group_control = req_string(&f, 2);
            }
            b"AK2" => {
                if el(&f, 1).is_empty() {
                    iss.missing(seg, 1, 143, format_args!("AK2: transaction set identifier"));
                }
                ack.sets.push(InboundSetAck {
                    set_id: req_string(&f, 1),
                    control: req_string(&f, 2),
                    code: String::new(),
                    errors: Vec::new(),
                });
            }
            b"AK3" | b"IK3" => {
                let code = el(&f, 4);
                let mut words = format!("segment {} at position {}", common::text(el(&f, 1)), common::text(el(&f, 2)));
                if !el(&f, 3).is_empty() {
                    words.push_str(&format!(" (loop {})", common::text(el(&f, 3))));
                }
                if !code.is_empty() {
                    words.push_str(&format!(": {} ({})", segment_code_words(code), common::text(code)));
                }
                push_error(&mut ack, words);
            }
            b"AK4" | b"IK4" => {
                let position: Vec<String> =
                    seg.components(el(&f, 1)).map(|c| common::text(c.trim_ascii())).filter(|c| !c.is_empty()).collect();
                let code = el(&f, 3);
                let mut words = format!("element {}", position.join("-"));
                if !el(&f, 2).is_empty() {
                    words.push_str(&format!(" (data element {})", common::text(el(&f, 2))));
                }
                words.push_str(&format!(": {} ({})", element_code_words(code), common::text(code)));
                if !el(&f, 4).is_empty() {
                    words.push_str(&format!(", value {}", common::quote(el(&f, 4), 99)));
                }
                push_error(&mut ack, words);
            }
            b"AK5" | b"IK5" => {
                if el(&f, 1).is_empty() {
                    iss.missing(seg, 1, 717, format_args!("{}: acknowledgment code", common::text(id)));
                }
                let code = req_string(&f, 1);
                let mut errors = Vec::new();
                for n in 2..=6 {
                    let c = el(&f, n);
                    if !c.is_empty() {
                        errors.push(format!("set error {}: {}", common::text(c), set_code_words(c)));
                    }
                }
                match ack.sets.last_mut() {
                    Some(s) if s.code.is_empty() => {
                        s.code = code;
                        s.errors.extend(errors);
                    }
                    _ => iss.segment(
                        seg,
                        None,
                        SegmentErrorCode::Unexpected,
                        format!("{} without an AK2 before it", common::text(id)),
                    ),
                }
            }
            b"AK9" => {
                ak9 = true;
                if el(&f, 1).is_empty() {
                    iss.missing(seg, 1, 715, format_args!("AK9: functional group acknowledge code"));
                }
                ack.group_code = req_string(&f, 1);
            }
            b"CTX" => {
                let context: Vec<String> =
                    f.iter().skip(1).map(|v| common::text(v.trim_ascii())).filter(|v| !v.is_empty()).collect();
                push_error(&mut ack, format!("context: {}", context.join(" ")));
            }
            _ if known(id) => {}
            _ => super::po850::unknown_segment(iss, seg, kind),
        }
    }
    if !ak1 {
        iss.missing_segment(
            "AK1",
            2,
            st.index(),
            "ST",
            format!("the {kind} has no AK1: it does not say which group it acknowledges"),
        );
    }
    if !ak9 {
        iss.missing_segment(
            "AK9",
            iss.position(se.index()),
            se.index(),
            "SE",
            format!("the {kind} has no AK9: the verdict on the group is missing"),
        );
    }
    ack
}

/// AK3/AK4/CTX words go to the set acknowledged last; before any AK2 they
/// are kept on an entry with an empty set id.
fn push_error(ack: &mut InboundAck, words: String) {
    match ack.sets.last_mut() {
        Some(s) => s.errors.push(words),
        _ => ack.sets.push(InboundSetAck {
            set_id: String::new(),
            control: String::new(),
            code: String::new(),
            errors: vec![words],
        }),
    }
}
