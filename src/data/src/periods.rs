//! The periods of the procedure, as configured in `data/periods.toml`.

use serde::{Deserialize, Serialize};

/// Where the periods live, under `content/`.
pub const FILE: &str = "data/periods.toml";

/// The periods of the procedure (Reglement CBT). Whole days, weeks or
/// years, as the regulation states them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Periods {
    /// The Code Telemarketing's maximum customer term.
    pub max_customer_term_years: u32,
    /// Amendments are allowed until this many days after payment.
    pub amend_days_after_payment: u32,
    /// Days to complete the application when the CBT asks (art. 6.2).
    pub complete_days: u32,
    /// The advice is due this many weeks after the case is taken into handling.
    pub advice_weeks: u32,
    /// The CBT's target: advice within this many weeks after payment.
    pub target_weeks_after_payment: u32,
    /// The invoice's payment term.
    pub payment_term_days: u32,
    /// Whether the advice period stops while the applicant completes the
    /// application (art. 6.2). The seed does not say: the CBT's decision.
    pub pause_advice_during_completion: bool,
    /// A payment reminder goes this many days after the due date, and again
    /// after as many days each time.
    pub reminder_interval_days: u32,
    /// At most this many payment reminders.
    pub reminder_max: u32,
}
