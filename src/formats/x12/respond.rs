//! What to send back for an interchange received: a TA1 when asked for or
//! when the envelope is refused, a 997 for 4010-style groups and a 999 for
//! 5010 groups. Pure: control numbers come from the caller.

use super::{writer, Envelope, Group, Interchange, Separators};

/// One outbound interchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// `TA1`, `997` or `999`.
    pub kind: &'static str,
    pub interchange_control: u32,
    pub bytes: Vec<u8>,
}

/// The envelope of an answer to `ic`: sender and receiver swapped, usage echoed.
pub fn reply_envelope(ic: &Interchange, isa: u32, gs: u32, version: &str, date: &str, time: &str) -> Envelope {
    Envelope {
        sender: ic.receiver.clone(),
        receiver: ic.sender.clone(),
        interchange_control: isa,
        group_control: gs,
        first_set_control: 1,
        version: version.to_string(),
        usage: ic.usage,
        ack_requested: false,
        date: date.to_string(),
        time: time.get(..4).unwrap_or(time).to_string(),
        separators: Separators::default(),
    }
}

/// The acknowledgements of `ic`. `next(kind)` hands out control numbers
/// for `"isa"` and `"gs"`.
pub fn acknowledgements<E>(
    ic: &Interchange,
    date: &str,
    time: &str,
    mut next: impl FnMut(&'static str) -> Result<u32, E>,
) -> Result<Vec<Reply>, E> {
    let mut out = Vec::new();
    if ic.ack_requested || ic.refused() {
        let isa = next("isa")?;
        let env = reply_envelope(ic, isa, 0, "004010", date, time);
        out.push(Reply {
            kind: "TA1",
            interchange_control: isa,
            bytes: writer::write_ta1(&env, std::slice::from_ref(&ic.ta1)),
        });
    }
    if ic.refused() {
        return Ok(out);
    }
    let (g999, g997): (Vec<&Group>, Vec<&Group>) =
        ic.groups.iter().filter(|g| g.functional_id != "FA").partition(|g| g.wants_999());
    for (groups, kind) in [(g997, "997"), (g999, "999")] {
        let Some(first) = groups.first() else { continue };
        let isa = next("isa")?;
        let gs = next("gs")?;
        let acks: Vec<_> = groups.iter().map(|g| g.ack.clone()).collect();
        let bytes = if kind == "999" {
            writer::write_999(&reply_envelope(ic, isa, gs, "005010X231A1", date, time), &acks)
        } else {
            let version = first.version.get(..6).filter(|v| v.bytes().all(|b| b.is_ascii_digit())).unwrap_or("004010");
            writer::write_997(&reply_envelope(ic, isa, gs, version, date, time), &acks)
        };
        out.push(Reply { kind, interchange_control: isa, bytes });
    }
    Ok(out)
}
