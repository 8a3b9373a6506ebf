//! Waiting for the on-demand part of the widget (the forms, placing and
//! cancelling): what the shopper asked for while it downloads, and what a
//! widget shows meanwhile. Plain Rust, compiled for every target.

use super::form::Purpose;

/// When a widget that offers a form fetches the on-demand part before the
/// shopper asks for it (the `prefetch` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefetch {
    /// When the page is idle after the status shows, and on intent (default).
    #[default]
    Idle,
    /// Only on intent: pointer over or focus on a button that needs it.
    Intent,
}

impl Prefetch {
    /// `"idle"` or `"intent"`.
    pub fn parse(text: &str) -> Option<Prefetch> {
        match text {
            "idle" => Some(Prefetch::Idle),
            "intent" => Some(Prefetch::Intent),
            _ => None,
        }
    }
}

/// What the shopper asked for that needs the on-demand part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Open the reservation or "email me" form.
    Open(Purpose),
    /// Cancel the shopper's own reservation.
    Cancel,
}

/// One widget's wait for the on-demand part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Part {
    /// Nothing asked for (or done: the part is here).
    #[default]
    Idle,
    /// Downloading; `Intent` is carried out when it arrives (its button is busy).
    Loading(Intent),
    /// It could not be fetched: the widget says so and offers to try again.
    Failed(Intent),
}

impl Part {
    /// The shopper asks for `intent`: `true` when a download should start
    /// (one already on its way takes the newer intent and is not restarted).
    pub fn ask(&mut self, intent: Intent) -> bool {
        let start = !matches!(self, Part::Loading(_));
        *self = Part::Loading(intent);
        start
    }

    /// The download ended: the intent to carry out now, if it arrived.
    pub fn arrived(&mut self, loaded: bool) -> Option<Intent> {
        let Part::Loading(intent) = *self else {
            return None;
        };
        if loaded {
            *self = Part::Idle;
            Some(intent)
        } else {
            *self = Part::Failed(intent);
            None
        }
    }

    /// "Try again" after a failure: the intent to ask for again.
    pub fn failed_intent(&self) -> Option<Intent> {
        match self {
            Part::Failed(intent) => Some(*intent),
            _ => None,
        }
    }

    /// Whether the button that asks for `intent` shows it is busy.
    pub fn is_busy(&self, intent: Intent) -> bool {
        *self == Part::Loading(intent)
    }

    pub fn has_failed(&self) -> bool {
        matches!(self, Part::Failed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESERVE: Intent = Intent::Open(Purpose::Reserve);

    #[test]
    fn prefetch_reads_its_two_words_only() {
        assert_eq!(Prefetch::parse("idle"), Some(Prefetch::Idle));
        assert_eq!(Prefetch::parse("intent"), Some(Prefetch::Intent));
        assert_eq!(Prefetch::parse("Intent"), None);
        assert_eq!(Prefetch::parse(""), None);
        assert_eq!(Prefetch::default(), Prefetch::Idle);
    }

    #[test]
    fn a_click_waits_for_the_part_then_is_carried_out_once() {
        let mut part = Part::Idle;
        assert!(part.ask(RESERVE), "the first ask starts the download");
        assert!(part.is_busy(RESERVE));
        assert!(!part.is_busy(Intent::Cancel));
        assert_eq!(part.arrived(true), Some(RESERVE));
        assert_eq!(part, Part::Idle);
        assert_eq!(part.arrived(true), None, "a second arrival does nothing");
    }

    #[test]
    fn a_second_click_while_loading_does_not_restart_the_download() {
        let mut part = Part::Idle;
        assert!(part.ask(RESERVE));
        assert!(!part.ask(Intent::Cancel));
        assert_eq!(
            part.arrived(true),
            Some(Intent::Cancel),
            "the latest intent wins"
        );
    }

    #[test]
    fn a_failed_download_offers_the_same_intent_again() {
        let mut part = Part::Idle;
        part.ask(Intent::Open(Purpose::Notify));
        assert_eq!(part.arrived(false), None);
        assert!(part.has_failed());
        assert!(!part.is_busy(Intent::Open(Purpose::Notify)));
        let again = part.failed_intent().expect("an intent to retry");
        assert_eq!(again, Intent::Open(Purpose::Notify));
        assert!(part.ask(again), "retrying starts a new download");
        assert_eq!(part.arrived(true), Some(again));
    }

    #[test]
    fn an_arrival_nobody_waits_for_carries_out_nothing() {
        let mut part = Part::Idle;
        assert_eq!(part.arrived(true), None);
        assert_eq!(part.arrived(false), None);
        assert_eq!(part, Part::Idle, "a prefetch that failed is not shown");
    }
}
