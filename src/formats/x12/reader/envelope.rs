//! The envelope walk: ISA…IEA, GS…GE, ST…SE, their checks and verdicts
//! (TA1, AK9, AK5), and the hand-off of each set to its reader.

use super::common::{self, is_digits, quote, same_control, text, Fields, Issues, SetText};
use super::lexer::{self, file_error, IsaLayout, Segment, Segments, ISA_WIDTHS};
use super::{ack997, pc860, po850};
use crate::formats::x12::ack::{
    AckCode, GroupAck, GroupErrorCode, InterchangeAck, InterchangeNote, SetAck, SetErrorCode,
};
use crate::formats::x12::model::{
    Document, Group, Interchange, ParsedFile, PartyId, Separators, TransactionSet, X12Error,
};
use std::collections::HashSet;

/// A control number as compared for duplicates (`0001` = `1`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ControlKey {
    Num(u64),
    Text(Box<[u8]>),
}

impl ControlKey {
    fn of(b: &[u8]) -> ControlKey {
        let b = b.trim_ascii();
        if is_digits(b) && b.len() <= 19 {
            ControlKey::Num(b.iter().fold(0u64, |acc, d| acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))))
        } else {
            ControlKey::Text(b.into())
        }
    }
}

/// Where and why an envelope was closed without its trailer.
struct Closer {
    index: usize,
    id: String,
    why: String,
}

struct IcState {
    ic: Interchange,
    gs06: HashSet<ControlKey>,
    verdict: Option<(AckCode, InterchangeNote)>,
    groups: u32,
}

impl IcState {
    fn reject(&mut self, note: InterchangeNote) {
        if !matches!(self.verdict, Some((AckCode::Rejected, _))) {
            self.verdict = Some((AckCode::Rejected, note));
        }
    }
    fn noted(&mut self, note: InterchangeNote) {
        if self.verdict.is_none() {
            self.verdict = Some((AckCode::AcceptedWithErrors, note));
        }
    }
    fn error(&mut self, seg: &Segment<'_>, element: Option<u32>, message: String) {
        self.ic.errors.push(located(seg, element, message));
    }
}

struct GroupState {
    group: Group,
    st02: HashSet<ControlKey>,
    errors: Vec<GroupErrorCode>,
    fatal: bool,
    noted: bool,
    gs_index: usize,
}

impl GroupState {
    fn fail(&mut self, code: GroupErrorCode, fatal: bool, seg: &Segment<'_>, element: Option<u32>, message: String) {
        if !self.errors.contains(&code) {
            self.errors.push(code);
        }
        self.fatal |= fatal;
        self.group.errors.push(located(seg, element, message));
    }
}

fn located(seg: &Segment<'_>, element: Option<u32>, message: String) -> X12Error {
    X12Error { segment_index: seg.index(), segment_id: seg.id_text(), element, component: None, message }
}

struct Reader<'a> {
    lex: Segments<'a>,
    file: ParsedFile,
    ic: Option<IcState>,
    group: Option<GroupState>,
    /// The open set's segments, ST first (empty when no set is open).
    set: Vec<Segment<'a>>,
    isa13: HashSet<ControlKey>,
    /// Reused for splitting segments into elements.
    fields: Fields<'a>,
    /// Inside a run of segments that are out of place (reported once).
    stray: bool,
}

/// Reads a whole file. Never panics; everything wrong is in the errors.
pub(crate) fn read(bytes: &[u8]) -> ParsedFile {
    let mut r = Reader {
        lex: Segments::new(bytes),
        file: ParsedFile::default(),
        ic: None,
        group: None,
        set: Vec::with_capacity(64),
        isa13: HashSet::new(),
        fields: Fields::with_capacity(32),
        stray: false,
    };
    let start = r.lex.skip_fillers();
    let rest = bytes.get(start..).unwrap_or(b"");
    if rest.is_empty() {
        r.file.errors.push(file_error(if bytes.is_empty() {
            "not an X12 interchange: the file is empty"
        } else {
            "not an X12 interchange: the file holds only whitespace"
        }));
        return r.file;
    }
    if !rest.starts_with(b"ISA") {
        let found = r.lex.seek_isa(start + 1);
        let mut message =
            format!("not an X12 interchange: the file does not start with ISA (it starts with {})", quote(rest, 20));
        if found {
            message.push_str(&format!(
                "; {} bytes skipped up to the ISA at byte {}",
                r.lex.position() - start,
                r.lex.position()
            ));
        }
        r.file.errors.push(file_error(message));
        if !found {
            return r.file;
        }
    }
    r.run();
    r.file
}

impl<'a> Reader<'a> {
    fn run(&mut self) {
        let mut last = None;
        while let Some(seg) = self.lex.next() {
            last = Some(seg);
            if let Some(isa) = self.lex.take_isa() {
                self.on_isa(seg, isa);
                continue;
            }
            match seg.id() {
                b"ISA" => self.on_isa(seg, Err("the ISA segment is too short".to_string())),
                b"GS" => self.on_gs(seg),
                b"ST" => self.on_st(seg),
                b"SE" => self.on_se(seg),
                b"GE" => self.on_ge(seg),
                b"IEA" => self.on_iea(seg),
                _ => self.on_other(seg),
            }
        }
        if let Some(last) = last {
            let closer = |what: &str| Closer {
                index: last.index(),
                id: last.id_text(),
                why: format!("the file ends before {what}"),
            };
            self.close_set(None, Some(closer("SE")));
            self.close_group(None, Some(closer("GE")));
            self.close_ic(None, Some(closer("IEA")));
        }
    }

    fn closer(seg: &Segment<'_>, why: &str) -> Closer {
        Closer { index: seg.index(), id: seg.id_text(), why: format!("{why} (segment {})", seg.index()) }
    }

    // ---------------------------------------------------------------- ISA/IEA

    fn on_isa(&mut self, seg: Segment<'a>, isa: Result<IsaLayout, String>) {
        self.stray = false;
        if self.ic.is_some() {
            let c = || Self::closer(&seg, "a new ISA starts");
            self.close_set(None, Some(c()));
            self.close_group(None, Some(c()));
            self.close_ic(None, Some(c()));
        }
        match isa {
            Ok(layout) => self.open_ic(seg, &layout),
            Err(why) => self.broken_isa(seg, &why),
        }
    }

    /// An ISA that cannot be split: a refused interchange when the fixed
    /// positions still give its control number, else a file-level error;
    /// then reading resumes at the next ISA.
    fn broken_isa(&mut self, seg: Segment<'a>, why: &str) {
        let input = self.lex.input();
        let raw = input.get(seg.offset()..).unwrap_or(b"");
        let resumed = self.lex.seek_isa(seg.offset() + 3);
        let tail = if resumed {
            format!("; the interchange is skipped up to the next ISA (byte {})", self.lex.position())
        } else {
            "; the rest of the file is skipped".to_string()
        };
        let message = format!("cannot read the interchange header: {why}{tail}");
        if raw.len() > ISA_WIDTHS.iter().sum::<usize>() + 16 {
            let mut fields = [&b""[..]; 16];
            let mut at = 4;
            for (k, w) in ISA_WIDTHS.iter().enumerate() {
                fields[k] = raw.get(at..at + w).unwrap_or(b"");
                at += w + 1;
            }
            let e = raw.get(3).copied().unwrap_or(0);
            let note = if e.is_ascii_alphanumeric() || e.is_ascii_whitespace() {
                InterchangeNote::InvalidElementSeparator
            } else if why.contains("ISA16") {
                InterchangeNote::InvalidComponentSeparator
            } else {
                InterchangeNote::InvalidControlStructure
            };
            let mut ic = interchange(&fields, Separators::default(), seg.index());
            ic.errors.push(located(&seg, None, message));
            ic.ta1 = InterchangeAck {
                control: ic.control.clone(),
                date: ic.date.clone(),
                time: ic.time.clone(),
                code: AckCode::Rejected,
                note,
            };
            self.file.interchanges.push(ic);
        } else {
            self.file.errors.push(located(&seg, None, message));
        }
    }

    fn open_ic(&mut self, seg: Segment<'a>, layout: &IsaLayout) {
        let raw = seg.raw();
        let mut fields = [&b""[..]; 16];
        for (k, slot) in fields.iter_mut().enumerate() {
            *slot = layout.field(raw, k + 1);
        }
        let mut st = IcState {
            ic: interchange(&fields, layout.separators, seg.index()),
            gs06: HashSet::new(),
            verdict: None,
            groups: 0,
        };
        for (note, element, message) in check_isa(&fields, layout) {
            st.reject(note);
            st.error(&seg, element, message);
        }
        let key = ControlKey::of(fields[12]);
        if !self.isa13.insert(key) {
            st.reject(InterchangeNote::DuplicateControlNumber);
            st.error(
                &seg,
                Some(13),
                format!("interchange control number {} (ISA13) is used twice in this file", quote(fields[12], 9)),
            );
        }
        self.ic = Some(st);
    }

    fn on_iea(&mut self, seg: Segment<'a>) {
        self.stray = false;
        if self.ic.is_none() {
            return self.garbage(seg);
        }
        let c = || Self::closer(&seg, "IEA comes first");
        self.close_set(None, Some(c()));
        self.close_group(None, Some(c()));
        self.close_ic(Some(seg), None);
    }

    fn close_ic(&mut self, iea: Option<Segment<'a>>, closer: Option<Closer>) {
        let Some(mut st) = self.ic.take() else {
            return;
        };
        match (iea, closer) {
            (Some(iea), _) => {
                let n = iea.element(1).unwrap_or(b"").trim_ascii();
                if common::count(n) != Some(st.groups) {
                    st.reject(InterchangeNote::GroupCountMismatch);
                    st.error(
                        &iea,
                        Some(1),
                        format!(
                            "IEA01 says {} functional groups but interchange {} has {}",
                            quote(n, 10),
                            st.ic.control,
                            st.groups
                        ),
                    );
                }
                let ctl = iea.element(2).unwrap_or(b"").trim_ascii();
                if !same_control(ctl, st.ic.control.as_bytes()) {
                    st.reject(InterchangeNote::ControlNumberMismatch);
                    st.error(
                        &iea,
                        Some(2),
                        format!(
                            "IEA02 {} does not match ISA13 {} (interchange control numbers)",
                            quote(ctl, 12),
                            quote(st.ic.control.as_bytes(), 12)
                        ),
                    );
                }
            }
            (None, Some(c)) => {
                st.reject(InterchangeNote::PrematureEnd);
                st.ic.errors.push(X12Error {
                    segment_index: c.index,
                    segment_id: c.id,
                    element: None,
                    component: None,
                    message: format!(
                        "IEA missing for interchange {} (ISA at segment {}): {}",
                        st.ic.control, st.ic.first_segment, c.why
                    ),
                });
            }
            (None, None) => {}
        }
        let (code, note) = st.verdict.unwrap_or((AckCode::Accepted, InterchangeNote::NoError));
        st.ic.ta1 = InterchangeAck {
            control: st.ic.control.clone(),
            date: st.ic.date.clone(),
            time: st.ic.time.clone(),
            code,
            note,
        };
        self.file.interchanges.push(st.ic);
    }

    // ----------------------------------------------------------------- GS/GE

    fn on_gs(&mut self, seg: Segment<'a>) {
        self.stray = false;
        let Some(ic) = self.ic.as_mut() else {
            return self.garbage(seg);
        };
        ic.groups += 1;
        let c = || Self::closer(&seg, "a new GS starts");
        self.close_set(None, Some(c()));
        self.close_group(None, Some(c()));
        let mut f = Vec::with_capacity(10);
        seg.split_into(&mut f);
        let control = common::el(&f, 6);
        let version = common::el(&f, 8);
        let functional_id = common::req_string(&f, 1);
        let group = Group {
            functional_id: functional_id.clone(),
            app_sender: common::req_string(&f, 2),
            app_receiver: common::req_string(&f, 3),
            date: common::req_string(&f, 4),
            time: common::req_string(&f, 5),
            control: text(control),
            version: text(version),
            sets: Vec::new(),
            ack: GroupAck {
                functional_id,
                control: text(control),
                version: text(version),
                sets: Vec::new(),
                declared_sets: 0,
                received_sets: 0,
                accepted_sets: 0,
                code: AckCode::Accepted,
                group_errors: Vec::new(),
            },
            errors: Vec::new(),
        };
        let mut g = GroupState {
            group,
            st02: HashSet::new(),
            errors: Vec::new(),
            fatal: false,
            noted: false,
            gs_index: seg.index(),
        };
        if g.group.functional_id.is_empty() {
            g.fail(
                GroupErrorCode::NotSupported,
                true,
                &seg,
                Some(1),
                "GS01 (functional identifier code) is missing".to_string(),
            );
        }
        if !is_digits(control) || control.len() > 9 {
            g.fail(
                GroupErrorCode::InvalidControlNumber,
                true,
                &seg,
                Some(6),
                format!("group control number {} (GS06) must be 1 to 9 digits", quote(control, 20)),
            );
        } else if let Some(ic) = self.ic.as_mut() {
            if !ic.gs06.insert(ControlKey::of(control)) {
                g.fail(
                    GroupErrorCode::DuplicateControlNumber,
                    true,
                    &seg,
                    Some(6),
                    format!(
                        "group control number {} (GS06) is used twice in interchange {}",
                        quote(control, 9),
                        ic.ic.control
                    ),
                );
            }
        }
        if !version_supported(version) {
            g.fail(
                GroupErrorCode::VersionNotSupported,
                true,
                &seg,
                Some(8),
                format!("version {} (GS08) is not supported: dropgate reads 003040 to 005010", quote(version, 12)),
            );
        }
        self.group = Some(g);
    }

    fn on_ge(&mut self, seg: Segment<'a>) {
        self.stray = false;
        if self.group.is_none() {
            return self.stray_segment(seg);
        }
        self.close_set(None, Some(Self::closer(&seg, "GE comes first")));
        self.close_group(Some(seg), None);
    }

    fn close_group(&mut self, ge: Option<Segment<'a>>, closer: Option<Closer>) {
        let Some(mut g) = self.group.take() else {
            return;
        };
        let received = g.group.sets.len() as u32;
        let mut declared = received;
        match (ge, closer) {
            (Some(ge), _) => {
                let n = ge.element(1).unwrap_or(b"").trim_ascii();
                match common::count(n) {
                    Some(d) if d == received => declared = d,
                    other => {
                        declared = other.unwrap_or(received);
                        g.fail(
                            GroupErrorCode::SetCountMismatch,
                            false,
                            &ge,
                            Some(1),
                            format!(
                                "GE01 says {} transaction sets but group {} {} has {received}",
                                quote(n, 10),
                                g.group.functional_id,
                                g.group.control
                            ),
                        );
                    }
                }
                let ctl = ge.element(2).unwrap_or(b"").trim_ascii();
                if !same_control(ctl, g.group.control.as_bytes()) {
                    g.fail(
                        GroupErrorCode::ControlNumberMismatch,
                        true,
                        &ge,
                        Some(2),
                        format!(
                            "GE02 {} does not match GS06 {} (group control numbers)",
                            quote(ctl, 12),
                            quote(g.group.control.as_bytes(), 12)
                        ),
                    );
                }
            }
            (None, Some(c)) => {
                if !g.errors.contains(&GroupErrorCode::TrailerMissing) {
                    g.errors.push(GroupErrorCode::TrailerMissing);
                }
                g.fatal = true;
                g.group.errors.push(X12Error {
                    segment_index: c.index,
                    segment_id: c.id,
                    element: None,
                    component: None,
                    message: format!(
                        "GE missing for group {} {} (GS at segment {}): {}",
                        g.group.functional_id, g.group.control, g.gs_index, c.why
                    ),
                });
            }
            (None, None) => {}
        }
        let accepted = g
            .group
            .sets
            .iter()
            .filter(|s| matches!(s.ack.code, AckCode::Accepted | AckCode::AcceptedWithErrors))
            .count() as u32;
        let code = if g.fatal || (received > 0 && accepted == 0) {
            AckCode::Rejected
        } else if accepted < received {
            AckCode::PartiallyAccepted
        } else if !g.errors.is_empty() || g.noted {
            AckCode::AcceptedWithErrors
        } else {
            AckCode::Accepted
        };
        let ack = &mut g.group.ack;
        ack.sets = g.group.sets.iter().map(|s| s.ack.clone()).collect();
        ack.declared_sets = declared;
        ack.received_sets = received;
        ack.accepted_sets = accepted;
        ack.code = code;
        ack.group_errors = g.errors;
        if let Some(ic) = self.ic.as_mut() {
            ic.ic.groups.push(g.group);
        }
    }

    // ----------------------------------------------------------------- ST/SE

    fn on_st(&mut self, seg: Segment<'a>) {
        self.stray = false;
        if self.group.is_none() {
            return self.stray_segment(seg);
        }
        if !self.set.is_empty() {
            self.close_set(None, Some(Self::closer(&seg, "a new ST starts")));
        }
        self.set.clear();
        self.set.push(seg);
    }

    fn on_se(&mut self, seg: Segment<'a>) {
        self.stray = false;
        if self.set.is_empty() {
            return self.stray_segment(seg);
        }
        self.set.push(seg);
        self.close_set(Some(seg), None);
    }

    fn close_set(&mut self, se: Option<Segment<'a>>, closer: Option<Closer>) {
        if self.set.is_empty() {
            return;
        }
        let segs = std::mem::take(&mut self.set);
        if let (Some(g), Some(&st)) = (self.group.as_mut(), segs.first()) {
            let set = read_set(self.lex.input(), st, &segs, se, closer, g, &mut self.fields);
            g.group.sets.push(set);
        }
        self.set = segs;
        self.set.clear();
    }

    // ------------------------------------------------------------- the rest

    fn on_other(&mut self, seg: Segment<'a>) {
        if self.set.is_empty() {
            self.stray_segment(seg);
        } else {
            self.set.push(seg);
        }
    }

    /// A segment outside where it can be: between sets, between groups,
    /// or outside any interchange.
    fn stray_segment(&mut self, seg: Segment<'a>) {
        let first = !self.stray;
        self.stray = true;
        let id = seg.id_text();
        if let Some(g) = self.group.as_mut() {
            g.noted = true;
            if first {
                g.group.errors.push(located(
                    &seg,
                    None,
                    format!("{id} is outside any transaction set (ST…SE): skipped"),
                ));
            }
        } else if let Some(ic) = self.ic.as_mut() {
            ic.noted(InterchangeNote::InvalidContent);
            if first {
                ic.error(&seg, None, format!("{id} is outside any functional group (GS…GE): skipped"));
            }
        } else {
            self.garbage(seg);
        }
    }

    /// Data outside any interchange: one error, then on to the next ISA.
    fn garbage(&mut self, seg: Segment<'a>) {
        let after = if self.file.interchanges.is_empty() {
            "before any interchange"
        } else {
            "after the end of an interchange (IEA)"
        };
        let found = self.lex.seek_isa(seg.offset() + 1);
        let next = if found {
            format!("skipped up to the next ISA at byte {}", self.lex.position())
        } else {
            "skipped to the end of the file".to_string()
        };
        self.file.errors.push(X12Error {
            segment_index: seg.index(),
            segment_id: String::new(),
            element: None,
            component: None,
            message: format!("unexpected data {after}: {} is not an ISA; {next}", quote(seg.raw(), 30)),
        });
    }
}

/// The interchange described by the 16 ISA elements (verdict not yet set).
fn interchange(f: &[&[u8]; 16], separators: Separators, first_segment: usize) -> Interchange {
    let t = |k: usize| text(f[k].trim_ascii());
    let control = t(12);
    let (date, time) = (t(8), t(9));
    Interchange {
        sender: PartyId { qualifier: t(4), id: t(5) },
        receiver: PartyId { qualifier: t(6), id: t(7) },
        control: control.clone(),
        date: date.clone(),
        time: time.clone(),
        version: t(11),
        ack_requested: f[13] == b"1",
        usage: f[14].first().map_or(' ', |&b| char::from(b)),
        separators,
        groups: Vec::new(),
        ta1: InterchangeAck { control, date, time, code: AckCode::Accepted, note: InterchangeNote::NoError },
        first_segment,
        errors: Vec::new(),
    }
}

/// What is wrong with an ISA that could be split: TA1 note, element, message.
fn check_isa(f: &[&[u8]; 16], layout: &IsaLayout) -> Vec<(InterchangeNote, Option<u32>, String)> {
    let mut out = Vec::new();
    if let Some(k) = layout.bad_width {
        let w = f[k - 1].len();
        out.push((
            InterchangeNote::InvalidControlStructure,
            Some(k as u32),
            format!(
                "the ISA is not fixed width: ISA{k:02} is {w} characters long where {} are required (an ISA is exactly 106 bytes)",
                ISA_WIDTHS[k - 1]
            ),
        ));
    }
    let blank = |k: usize| f[k].trim_ascii().is_empty();
    for (k, note, what) in [
        (4, InterchangeNote::InvalidSenderQualifier, "sender id qualifier (ISA05)"),
        (5, InterchangeNote::InvalidSender, "sender id (ISA06)"),
        (6, InterchangeNote::InvalidReceiverQualifier, "receiver id qualifier (ISA07)"),
        (7, InterchangeNote::InvalidReceiver, "receiver id (ISA08)"),
    ] {
        if blank(k) {
            out.push((note, Some(k as u32 + 1), format!("the {what} is empty")));
        }
    }
    if f[8].len() != 6 || common::date(f[8]).is_none() {
        out.push((
            InterchangeNote::InvalidDate,
            Some(9),
            format!("interchange date {} (ISA09) is not a valid YYMMDD date", quote(f[8], 10)),
        ));
    }
    if f[9].len() != 4 || !common::time_ok(f[9]) {
        out.push((
            InterchangeNote::InvalidTime,
            Some(10),
            format!("interchange time {} (ISA10) is not a valid HHMM time", quote(f[9], 10)),
        ));
    }
    if f[11].len() != 5 || !is_digits(f[11]) {
        out.push((
            InterchangeNote::InvalidVersion,
            Some(12),
            format!("interchange version {} (ISA12) is not 5 digits", quote(f[11], 10)),
        ));
    }
    if !is_digits(f[12]) || f[12].len() > 9 {
        out.push((
            InterchangeNote::InvalidControlNumber,
            Some(13),
            format!("interchange control number {} (ISA13) is not 9 digits", quote(f[12], 12)),
        ));
    }
    if f[13] != b"0" && f[13] != b"1" {
        out.push((
            InterchangeNote::InvalidAckRequested,
            Some(14),
            format!("acknowledgment requested {} (ISA14) must be 0 or 1", quote(f[13], 5)),
        ));
    }
    if f[14] != b"P" && f[14] != b"T" {
        out.push((
            InterchangeNote::InvalidTestIndicator,
            Some(15),
            format!("usage indicator {} (ISA15) must be P (production) or T (test)", quote(f[14], 5)),
        ));
    }
    let c = layout.separators.component;
    if c.is_ascii_alphanumeric() || c.is_ascii_whitespace() {
        out.push((
            InterchangeNote::InvalidComponentSeparator,
            Some(16),
            format!("the component separator (ISA16) is {}; it must be a punctuation character", lexer::show_byte(c)),
        ));
    }
    out
}

/// GS08 versions read: 003040 to 005010 and their industry suffixes
/// (`004010VICS`, `005010X231A1`…), and the rest of the 3040–5010 family.
fn version_supported(v: &[u8]) -> bool {
    let Some(digits) = v.get(..6) else {
        return false;
    };
    if !is_digits(digits) {
        return false;
    }
    let n = digits.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    (3040..=5099).contains(&n)
}

/// Checks one set's envelope and reads its content.
/// `segs` runs from `st` to the SE (or to the last segment before the set
/// was cut short).
fn read_set<'a>(
    input: &'a [u8],
    st: Segment<'a>,
    segs: &[Segment<'a>],
    se: Option<Segment<'a>>,
    closer: Option<Closer>,
    g: &mut GroupState,
    fields: &mut Fields<'a>,
) -> TransactionSet {
    let st01 = st.element(1).unwrap_or(b"").trim_ascii();
    let st02 = st.element(2).unwrap_or(b"").trim_ascii();
    let st03 = st.element(3).unwrap_or(b"").trim_ascii();
    let set_id = common::ctext(st01);
    let control = common::ctext(st02);
    let mut iss = Issues::new(st.index());
    let mut set_errors: Vec<SetErrorCode> = Vec::new();
    let mut errors: Vec<X12Error> = Vec::new();

    if st01.len() != 3 || !is_digits(st01) {
        set_errors.push(SetErrorCode::InvalidSetId);
        errors.push(located(&st, Some(1), format!("{} (ST01) is not a transaction set identifier", quote(st01, 10))));
    }
    if st02.is_empty() || st02.len() > 9 {
        set_errors.push(SetErrorCode::InvalidControlNumber);
        errors.push(located(
            &st,
            Some(2),
            format!("transaction set control number {} (ST02) must be 1 to 9 characters", quote(st02, 12)),
        ));
    } else if !g.st02.insert(ControlKey::of(st02)) {
        set_errors.push(SetErrorCode::DuplicateControlNumber);
        errors.push(located(
            &st,
            Some(2),
            format!(
                "transaction set control number {} (ST02) is used twice in group {} {}",
                quote(st02, 9),
                g.group.functional_id,
                g.group.control
            ),
        ));
    }
    match (&se, closer) {
        (Some(se), _) => {
            let n = se.element(1).unwrap_or(b"").trim_ascii();
            if common::count(n) != Some(segs.len() as u32) {
                set_errors.push(SetErrorCode::SegmentCountMismatch);
                errors.push(located(
                    se,
                    Some(1),
                    format!(
                        "SE01 says {} segments but set {set_id} {control} has {} (ST to SE)",
                        quote(n, 10),
                        segs.len()
                    ),
                ));
            }
            let ctl = se.element(2).unwrap_or(b"").trim_ascii();
            if !same_control(ctl, st02) {
                set_errors.push(SetErrorCode::ControlNumberMismatch);
                errors.push(located(
                    se,
                    Some(2),
                    format!(
                        "SE02 {} does not match ST02 {} (transaction set control numbers)",
                        quote(ctl, 12),
                        quote(st02, 12)
                    ),
                ));
            }
        }
        (None, c) => {
            set_errors.push(SetErrorCode::TrailerMissing);
            let (index, id, why) = c.map_or((st.index(), "ST".to_string(), String::new()), |c| (c.index, c.id, c.why));
            errors.push(X12Error {
                segment_index: index,
                segment_id: id,
                element: None,
                component: None,
                message: format!(
                    "SE missing for transaction set {set_id} {control} (ST at segment {}): {why}",
                    st.index()
                ),
            });
        }
    }

    let supported = matches!(st01, b"850" | b"860" | b"997" | b"999");
    let mut document = None;
    if !supported {
        set_errors.insert(0, SetErrorCode::NotSupported);
        errors.insert(
            0,
            located(
                &st,
                Some(1),
                format!("transaction set {} is not supported: dropgate reads 850, 860, 997 and 999", quote(st01, 10)),
            ),
        );
    } else if let Some(se) = &se {
        let body = segs.get(1..segs.len().saturating_sub(1)).unwrap_or(&[]);
        let text = SetText::new(input, &st, se);
        document = Some(match st01 {
            b"850" => Document::PurchaseOrder(Box::new(po850::read(&st, body, se, &mut iss, fields, text))),
            b"860" => Document::OrderChange(Box::new(pc860::read(&st, body, se, &mut iss, text))),
            _ => Document::FunctionalAck(Box::new(ack997::read(&set_id, &st, body, se, &mut iss))),
        });
    }
    if !iss.is_empty() {
        set_errors.push(SetErrorCode::SegmentsInError);
    }
    let code = if set_errors.is_empty() { AckCode::Accepted } else { AckCode::Rejected };
    let document = match (code, document) {
        (AckCode::Accepted, Some(d)) => d,
        _ if !supported => Document::Unsupported { set_id: set_id.clone() },
        _ => Document::Rejected,
    };
    errors.append(&mut iss.errors);
    TransactionSet {
        set_id: set_id.clone(),
        control: control.clone(),
        first_segment: st.index(),
        last_segment: se.map_or(0, |s| s.index()),
        document,
        ack: SetAck {
            set_id,
            control,
            implementation_ref: (!st03.is_empty()).then(|| common::ctext(st03)),
            code,
            set_errors,
            segment_errors: iss.segments,
        },
        errors,
    }
}
