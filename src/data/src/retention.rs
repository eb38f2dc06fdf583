//! How long personal data is kept (`data/retention.toml`). The privacy
//! statement shows these values (`{{ bewaren.* }}`) and the function
//! enforces them, from this one file: the statement cannot promise what
//! the code does not do.

use serde::{Deserialize, Serialize};

/// Where the retention periods live, under `content/`.
pub const FILE: &str = "data/retention.toml";

/// The retention period of each class of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Unfinished applications (drafts) and their uploads, in hours.
    pub drafts_hours: u32,
    /// Applications sent but not confirmed by e-mail, and their documents,
    /// in days after they were sent.
    pub unconfirmed_days: u32,
    /// Contact messages, in days after receipt.
    pub contact_messages_days: u32,
    /// Application files (answers, documents, advice): years after the
    /// advice's validity ends, or after the case ended without an advice.
    pub case_files_years: u32,
    /// Invoices and payment records: years after the end of the invoice's
    /// calendar year (the fiscal retention duty).
    pub invoices_years: u32,
    /// The function's logs, in days.
    pub logs_days: u32,
}
