//! The shopper's own reservation of this product — remembered from an
//! earlier visit, placed just now, open, cancelled — and the words of the
//! "you reserved" panel. Plain Rust, compiled for every target.

use super::i18n::{Locale, fill, number};
use super::wording::ships_in;
use crate::api::{Reservation, ReservationStatus};
use crate::logic::Date;

/// A reservation remembered from an earlier visit: its reference and how
/// many units it was for (`storage.rs` keeps it per API and SKU).
#[derive(Clone, Debug, PartialEq)]
pub struct Remembered {
    pub id: String,
    pub quantity: u32,
    /// The likely ship date the shopper was last told (when placing it, or
    /// when the widget last said it moved).
    pub told: Option<Date>,
}

impl Remembered {
    pub fn of(reservation: &Reservation) -> Remembered {
        Remembered {
            id: reservation.id.clone(),
            quantity: reservation.quantity,
            told: reservation.ship_date,
        }
    }
}

/// How many days away the date the shopper was `told` is, when the
/// reservation now likely ships later than that; `None` when it has not moved
/// later (a move earlier is good news the status already shows).
pub fn moved_later(told: Date, reservation: &Reservation) -> Option<u32> {
    let (now, days) = (reservation.ship_date?, reservation.ships_in_days?);
    if now <= told {
        return None;
    }
    let today = Date::from_days_since_epoch(now.days_since_epoch() - days as i64);
    Some(told.days_after(today).max(0) as u32)
}

/// The shopper's own reservation of this product, if any.
#[derive(Clone, Debug, PartialEq)]
pub enum Mine {
    Nothing,
    /// Remembered from an earlier visit; its current state is being fetched.
    Checking(Remembered),
    /// Placed just now: show the confirmation.
    Placed(Reservation),
    /// Placed earlier and still open.
    Open(Reservation),
    Cancelled,
}

/// The "you reserved" panel: its words, and whether it offers to cancel.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub text: String,
    pub cancellable: bool,
}

impl Mine {
    /// An earlier reservation is (probably) still open: no second Reserve button.
    pub fn is_open(&self) -> bool {
        matches!(self, Mine::Open(_) | Mine::Checking(_))
    }

    /// The reference to cancel, while there is one.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Mine::Checking(remembered) => Some(&remembered.id),
            Mine::Placed(reservation) | Mine::Open(reservation) => Some(&reservation.id),
            Mine::Nothing | Mine::Cancelled => None,
        }
    }

    /// Its words; `moved_from`: it now ships later than the shopper was told
    /// (that many days away), which the panel says.
    pub fn panel(&self, locale: impl Locale, moved_from: Option<u32>) -> Option<Panel> {
        let strings = locale.strings();
        let text = match self {
            Mine::Nothing => return None,
            Mine::Cancelled => String::from(strings.cancelled),
            Mine::Checking(remembered) => {
                fill(strings.you_reserved, "n", &number(remembered.quantity))
            }
            Mine::Placed(reservation) => {
                let mut text = fill(strings.reserved, "n", &number(reservation.quantity));
                text.push_str(" · ");
                text.push_str(strings.reference);
                text.push(' ');
                text.push_str(&reservation.id);
                if let Some(date) = reservation.ship_date {
                    text.push_str(" · ");
                    match reservation.ship_date_latest {
                        Some(latest) if latest > date => text.push_str(&fill(
                            &fill(strings.ships_between, "d", &locale.format_date(date)),
                            "e",
                            &locale.format_date(latest),
                        )),
                        _ => text.push_str(&fill(strings.ships_on, "d", &locale.format_date(date))),
                    }
                }
                text
            }
            Mine::Open(reservation) => {
                let mut text = fill(strings.you_reserved, "n", &number(reservation.quantity));
                text.push_str(" — ");
                match reservation.ships_in_days {
                    _ if reservation.status == ReservationStatus::Ready => {
                        text.push_str(strings.ready)
                    }
                    None => text.push_str(strings.ready),
                    likely => {
                        let window = ships_in(locale, likely, reservation.ships_in_days_latest);
                        match moved_from {
                            Some(was) => text.push_str(&fill(
                                &fill(strings.moved, "w", &window),
                                "n",
                                &number(was),
                            )),
                            None => text.push_str(&window),
                        }
                    }
                }
                text
            }
        };
        Some(Panel {
            text,
            cancellable: self.reference().is_some(),
        })
    }
}
