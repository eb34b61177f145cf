//! The acknowledgement model: what the reader found wrong (or right) in each
//! interchange, group and transaction set, in X12's own code lists. The
//! reader fills it; the 997/999/TA1 writers turn it into bytes.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// AK304 / IK304: segment syntax error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SegmentErrorCode {
    /// 1: unrecognized segment ID.
    Unrecognized,
    /// 2: unexpected segment.
    Unexpected,
    /// 3: required segment missing.
    MandatoryMissing,
    /// 4: loop occurs over maximum times.
    LoopOverMaximum,
    /// 5: segment exceeds maximum use.
    ExceedsMaximumUse,
    /// 6: segment not in defined transaction set.
    NotInSet,
    /// 7: segment not in proper sequence.
    OutOfSequence,
    /// 8: segment has data element errors.
    HasElementErrors,
}

impl SegmentErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::Unrecognized => "1",
            Self::Unexpected => "2",
            Self::MandatoryMissing => "3",
            Self::LoopOverMaximum => "4",
            Self::ExceedsMaximumUse => "5",
            Self::NotInSet => "6",
            Self::OutOfSequence => "7",
            Self::HasElementErrors => "8",
        }
    }
}

/// AK403 / IK403: data element syntax error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElementErrorCode {
    /// 1: required data element missing.
    MandatoryMissing,
    /// 2: conditional required data element missing.
    ConditionalMissing,
    /// 3: too many data elements.
    TooManyElements,
    /// 4: data element too short.
    TooShort,
    /// 5: data element too long.
    TooLong,
    /// 6: invalid character in data element.
    InvalidCharacter,
    /// 7: invalid code value.
    InvalidCode,
    /// 8: invalid date.
    InvalidDate,
    /// 9: invalid time.
    InvalidTime,
    /// 10: exclusion condition violated.
    ExclusionViolated,
    /// 12: too many repetitions.
    TooManyRepetitions,
    /// 13: too many components.
    TooManyComponents,
}

impl ElementErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::MandatoryMissing => "1",
            Self::ConditionalMissing => "2",
            Self::TooManyElements => "3",
            Self::TooShort => "4",
            Self::TooLong => "5",
            Self::InvalidCharacter => "6",
            Self::InvalidCode => "7",
            Self::InvalidDate => "8",
            Self::InvalidTime => "9",
            Self::ExclusionViolated => "10",
            Self::TooManyRepetitions => "12",
            Self::TooManyComponents => "13",
        }
    }
}

/// AK502–AK506 / IK502–IK506: transaction set syntax error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetErrorCode {
    /// 1: transaction set not supported.
    NotSupported,
    /// 2: transaction set trailer missing.
    TrailerMissing,
    /// 3: ST02 and SE02 do not match.
    ControlNumberMismatch,
    /// 4: SE01 does not match the number of segments.
    SegmentCountMismatch,
    /// 5: one or more segments in error.
    SegmentsInError,
    /// 6: missing or invalid transaction set identifier.
    InvalidSetId,
    /// 7: missing or invalid transaction set control number.
    InvalidControlNumber,
    /// 23: control number not unique within the group.
    DuplicateControlNumber,
}

impl SetErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotSupported => "1",
            Self::TrailerMissing => "2",
            Self::ControlNumberMismatch => "3",
            Self::SegmentCountMismatch => "4",
            Self::SegmentsInError => "5",
            Self::InvalidSetId => "6",
            Self::InvalidControlNumber => "7",
            Self::DuplicateControlNumber => "23",
        }
    }
}

/// AK905–AK909: functional group syntax error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupErrorCode {
    /// 1: functional group not supported.
    NotSupported,
    /// 2: functional group version not supported.
    VersionNotSupported,
    /// 3: functional group trailer missing.
    TrailerMissing,
    /// 4: GS06 and GE02 do not match.
    ControlNumberMismatch,
    /// 5: GE01 does not match the number of transaction sets.
    SetCountMismatch,
    /// 6: group control number violates syntax.
    InvalidControlNumber,
    /// 19: duplicate group control number within the interchange.
    DuplicateControlNumber,
}

impl GroupErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotSupported => "1",
            Self::VersionNotSupported => "2",
            Self::TrailerMissing => "3",
            Self::ControlNumberMismatch => "4",
            Self::SetCountMismatch => "5",
            Self::InvalidControlNumber => "6",
            Self::DuplicateControlNumber => "19",
        }
    }
}

/// AK501 / IK501 and AK901: acknowledgement codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckCode {
    /// A: accepted.
    Accepted,
    /// E: accepted, but errors were noted.
    AcceptedWithErrors,
    /// P: partially accepted (groups only: some sets rejected).
    PartiallyAccepted,
    /// R: rejected.
    Rejected,
}

impl AckCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "A",
            Self::AcceptedWithErrors => "E",
            Self::PartiallyAccepted => "P",
            Self::Rejected => "R",
        }
    }
}

/// One element in error (AK4 / IK4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementError {
    /// Element position in the segment, 1-based.
    pub position: u32,
    /// Component position inside a composite, 1-based, when relevant.
    pub component: Option<u32>,
    /// Repetition, 1-based, when relevant (5010).
    pub repetition: Option<u32>,
    /// Data element reference number (e.g. 330 for PO102), when known.
    pub reference: Option<u32>,
    pub code: ElementErrorCode,
    /// A copy of the bad value (at most 99 characters), when there was one.
    pub bad_value: Option<String>,
}

/// One segment in error (AK3 / IK3) with its element errors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentError {
    pub segment_id: String,
    /// Position of the segment in the transaction set, ST = 1.
    pub position: u32,
    /// Loop identifier code, when the segment is in a loop.
    pub loop_id: Option<String>,
    /// `None` when only element errors are reported (AK304 omitted is not
    /// allowed: writers use `HasElementErrors` then).
    pub code: Option<SegmentErrorCode>,
    pub elements: Vec<ElementError>,
    /// The reason in words, for people: logs, quarantine, `inspect`.
    pub message: String,
}

/// The verdict on one transaction set (AK2…AK5 / IK2…IK5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAck {
    /// ST01, e.g. `850`.
    pub set_id: CompactString,
    /// ST02.
    pub control: CompactString,
    /// ST03 implementation convention reference (5010), echoed in AK203.
    pub implementation_ref: Option<CompactString>,
    pub code: AckCode,
    pub set_errors: Vec<SetErrorCode>,
    pub segment_errors: Vec<SegmentError>,
}

/// The verdict on one functional group (AK1, AK9), with its sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAck {
    /// GS01, e.g. `PO`.
    pub functional_id: String,
    /// GS06.
    pub control: String,
    /// GS08, e.g. `004010VICS` or `005010`.
    pub version: String,
    pub sets: Vec<SetAck>,
    /// GE01 as sent (AK902); the number of ST…SE seen when GE is missing.
    pub declared_sets: u32,
    /// Sets seen (AK903).
    pub received_sets: u32,
    /// Sets accepted, with or without noted errors (AK904).
    pub accepted_sets: u32,
    pub code: AckCode,
    pub group_errors: Vec<GroupErrorCode>,
}

/// TA105 interchange note codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InterchangeNote {
    /// 000: no error.
    NoError,
    /// 001: ISA13 and IEA02 do not match.
    ControlNumberMismatch,
    /// 005: invalid interchange ID qualifier for sender.
    InvalidSenderQualifier,
    /// 006: invalid interchange sender ID.
    InvalidSender,
    /// 007: invalid interchange ID qualifier for receiver.
    InvalidReceiverQualifier,
    /// 008: invalid interchange receiver ID.
    InvalidReceiver,
    /// 014: invalid interchange date value.
    InvalidDate,
    /// 015: invalid interchange time value.
    InvalidTime,
    /// 016: invalid interchange standards identifier.
    InvalidStandardsId,
    /// 017: invalid interchange version ID.
    InvalidVersion,
    /// 018: invalid interchange control number.
    InvalidControlNumber,
    /// 019: invalid acknowledgment requested value.
    InvalidAckRequested,
    /// 020: invalid test indicator value.
    InvalidTestIndicator,
    /// 021: invalid number of included groups value.
    GroupCountMismatch,
    /// 022: invalid control structure.
    InvalidControlStructure,
    /// 023: improper (premature) end-of-file.
    PrematureEnd,
    /// 024: invalid interchange content (e.g. invalid GS segment).
    InvalidContent,
    /// 025: duplicate interchange control number.
    DuplicateControlNumber,
    /// 026: invalid data element separator.
    InvalidElementSeparator,
    /// 027: invalid component element separator.
    InvalidComponentSeparator,
}

impl InterchangeNote {
    pub fn code(self) -> &'static str {
        match self {
            Self::NoError => "000",
            Self::ControlNumberMismatch => "001",
            Self::InvalidSenderQualifier => "005",
            Self::InvalidSender => "006",
            Self::InvalidReceiverQualifier => "007",
            Self::InvalidReceiver => "008",
            Self::InvalidDate => "014",
            Self::InvalidTime => "015",
            Self::InvalidStandardsId => "016",
            Self::InvalidVersion => "017",
            Self::InvalidControlNumber => "018",
            Self::InvalidAckRequested => "019",
            Self::InvalidTestIndicator => "020",
            Self::GroupCountMismatch => "021",
            Self::InvalidControlStructure => "022",
            Self::PrematureEnd => "023",
            Self::InvalidContent => "024",
            Self::DuplicateControlNumber => "025",
            Self::InvalidElementSeparator => "026",
            Self::InvalidComponentSeparator => "027",
        }
    }
}

/// TA1: the verdict on an interchange envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeAck {
    /// ISA13 of the interchange acknowledged.
    pub control: String,
    /// ISA09 (YYMMDD) and ISA10 (HHMM) of the interchange acknowledged.
    pub date: String,
    pub time: String,
    /// TA104: A accepted, E accepted with errors, R rejected.
    pub code: AckCode,
    pub note: InterchangeNote,
}
