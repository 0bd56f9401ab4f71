//! The dossier code (mã hồ sơ): typed on a large numeric keypad, or scanned from the receipt by
//! a USB barcode scanner, which types the code and presses Enter.

use super::{Context, DigitEntry, digit_entry};
use crate::widget::Element;

/// The longest code accepted; receipts in use carry at most about 30 characters.
pub const MAX_LEN: usize = 40;

/// The code typed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    code: String,
}

/// What a citizen (or a scanner) can do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A keypad key or a character from a scanner or keyboard.
    Char(char),
    /// Remove the last character.
    Backspace,
    /// Remove everything.
    Clear,
    /// Enter pressed or OK tapped.
    Submit,
    /// Skip the page.
    Skip,
}

/// What the app should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A code was entered.
    Entered(String),
    /// No code.
    Skipped,
}

/// Whether `c` can be part of a dossier code (digits, letters, and the separators codes use).
pub fn accepts(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '/' | '_')
}

impl State {
    /// The code typed so far.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Char(c) => {
                if accepts(c) && self.code.len() < MAX_LEN {
                    self.code.push(c.to_ascii_uppercase());
                }
                None
            }
            Message::Backspace => {
                let _ = self.code.pop();
                None
            }
            Message::Clear => {
                self.code.clear();
                None
            }
            Message::Submit => {
                let code = self.code.trim().to_owned();
                if code.is_empty() {
                    None
                } else {
                    Some(Event::Entered(code))
                }
            }
            Message::Skip => Some(Event::Skipped),
        }
    }

    /// The screen: the code as typed, a 3x4 keypad, Skip and Done.
    pub fn view<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        digit_entry(
            ctx,
            DigitEntry {
                title: ctx.tr("dossier-title"),
                hint: ctx.tr("dossier-hint"),
                typed: self.code.clone(),
                placeholder: ctx.tr("dossier-empty"),
                note: None,
                digit: Message::Char,
                clear: Message::Clear,
                delete: Message::Backspace,
                skip: Message::Skip,
                done: Message::Submit,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scanned_code_is_kept_and_enter_submits_it() {
        let mut state = State::default();
        for c in "h12.250101-0001".chars() {
            assert_eq!(state.update(Message::Char(c)), None);
        }
        assert_eq!(
            state.update(Message::Submit),
            Some(Event::Entered("H12.250101-0001".into()))
        );
    }

    #[test]
    fn odd_characters_are_dropped_and_length_is_capped() {
        let mut state = State::default();
        for c in "12 3;4\u{1}".chars() {
            let _ = state.update(Message::Char(c));
        }
        assert_eq!(state.code(), "1234");
        for _ in 0..100 {
            let _ = state.update(Message::Char('9'));
        }
        assert_eq!(state.code().len(), MAX_LEN);
    }

    #[test]
    fn an_empty_code_cannot_be_submitted() {
        let mut state = State::default();
        assert_eq!(state.update(Message::Submit), None);
        let _ = state.update(Message::Char('5'));
        let _ = state.update(Message::Backspace);
        assert_eq!(state.update(Message::Submit), None);
    }
}
