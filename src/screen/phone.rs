//! The call-back number, after consent: typed on a large keypad, checked as a Vietnamese phone
//! number. It shows only while being typed; no screen shows it afterwards.

use iced::widget::text;

use super::{Context, DigitEntry, digit_entry};
use crate::theme::{self, text_size};
use crate::widget::Element;

/// Most digits accepted (a landline has 11).
const MAX_DIGITS: usize = 12;

/// The number typed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    digits: String,
    /// The last Done was refused.
    invalid: bool,
}

/// What a citizen can do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Digit(char),
    Backspace,
    Clear,
    Done,
    Skip,
}

/// What the app should do.
#[derive(Clone, PartialEq, Eq)]
pub enum Event {
    /// A valid number, in national form.
    Entered(String),
    /// No number after all.
    Skipped,
}

/// Never print the number.
impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Entered(_) => f.write_str("Entered(<redacted>)"),
            Self::Skipped => f.write_str("Skipped"),
        }
    }
}

impl State {
    /// Whether the last Done was refused.
    pub fn invalid(&self) -> bool {
        self.invalid
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Digit(c) => {
                if c.is_ascii_digit() && self.digits.len() < MAX_DIGITS {
                    self.digits.push(c);
                    self.invalid = false;
                }
                None
            }
            Message::Backspace => {
                let _ = self.digits.pop();
                self.invalid = false;
                None
            }
            Message::Clear => {
                self.digits.clear();
                self.invalid = false;
                None
            }
            Message::Done => match hailong_protocol::normalize_phone(&self.digits) {
                Some(phone) => Some(Event::Entered(phone)),
                None => {
                    self.invalid = true;
                    None
                }
            },
            Message::Skip => Some(Event::Skipped),
        }
    }

    /// The digits in groups that are easy to check by eye: 0912 345 678.
    fn grouped(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.digits.chars().enumerate() {
            if i == 4 || i == 7 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// The screen: the number as typed, a keypad, Skip and Done.
    pub fn view<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let note = self.invalid.then(|| {
            text(ctx.tr("phone-invalid"))
                .size(ctx.text(text_size::BODY))
                .style(theme::alert_text)
                .into()
        });
        digit_entry(
            ctx,
            DigitEntry {
                title: ctx.tr("phone-title"),
                hint: ctx.tr("phone-hint"),
                typed: self.grouped(),
                placeholder: ctx.tr("phone-empty"),
                note,
                digit: Message::Digit,
                clear: Message::Clear,
                delete: Message::Backspace,
                skip: Message::Skip,
                done: Message::Done,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(digits: &str) -> State {
        let mut state = State::default();
        for c in digits.chars() {
            assert_eq!(state.update(Message::Digit(c)), None);
        }
        state
    }

    #[test]
    fn a_mobile_number_is_taken() {
        let mut state = typed("0912345678");
        assert_eq!(state.grouped(), "0912 345 678");
        assert_eq!(
            state.update(Message::Done),
            Some(Event::Entered("0912345678".into()))
        );
    }

    #[test]
    fn a_wrong_number_is_refused_until_corrected() {
        let mut state = typed("091234567");
        assert_eq!(state.update(Message::Done), None);
        assert!(state.invalid());
        let _ = state.update(Message::Digit('8'));
        assert!(!state.invalid());
        assert_eq!(
            state.update(Message::Done),
            Some(Event::Entered("0912345678".into()))
        );
        let mut state = typed("1234567890");
        assert_eq!(state.update(Message::Done), None);
    }

    #[test]
    fn the_event_never_prints_the_number() {
        let event = Event::Entered("0912345678".into());
        assert!(!format!("{event:?}").contains("0912"));
    }
}
