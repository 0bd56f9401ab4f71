//! The staff PIN pad. The digits are never shown, only dots; after too many wrong PINs the pad
//! is locked for a growing delay (see [`crate::staff::Lockout`]).

use std::time::Duration;

use iced::widget::{column, container, row, text};
use iced::{Alignment, Length, Size};

use super::{Context, primary, title};
use crate::font;
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::keypad::{Key, Sizes, keypad};

/// The longest PIN accepted.
pub const MAX_DIGITS: usize = 8;

/// What the pad shows under the dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The PIN is being checked (Argon2 takes a moment).
    Checking,
    /// The last PIN was wrong; tries left before the lock.
    Wrong { left: u32 },
    /// Locked for this long.
    Locked(Duration),
}

/// The digits typed so far and the notice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    digits: String,
    /// Set by the app from the lockout and the check's outcome.
    pub notice: Option<Notice>,
}

/// What staff can do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Digit(char),
    Backspace,
    Submit,
    Cancel,
}

/// What the app should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Check this PIN.
    Check(String),
    /// Back to the citizen screen.
    Cancel,
}

impl State {
    /// Handles a message; a locked pad takes nothing but Cancel.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        let locked = matches!(self.notice, Some(Notice::Locked(_) | Notice::Checking));
        match message {
            Message::Cancel => Some(Event::Cancel),
            _ if locked => None,
            Message::Digit(c) => {
                if c.is_ascii_digit() && self.digits.len() < MAX_DIGITS {
                    self.digits.push(c);
                }
                None
            }
            Message::Backspace => {
                let _ = self.digits.pop();
                None
            }
            Message::Submit => {
                if self.digits.len() < 4 {
                    return None;
                }
                self.notice = Some(Notice::Checking);
                Some(Event::Check(std::mem::take(&mut self.digits)))
            }
        }
    }

    /// The pad.
    pub fn view<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let dots = "•".repeat(self.digits.len());
        let notice = match self.notice {
            None => String::new(),
            Some(Notice::Checking) => ctx.tr("pin-checking"),
            Some(Notice::Wrong { left }) => ctx.tr_args("pin-wrong", &[("left", left.to_string())]),
            Some(Notice::Locked(remaining)) => ctx.tr_args(
                "pin-locked",
                &[("seconds", remaining.as_secs().max(1).to_string())],
            ),
        };
        let digit = |c: char| Some(Key::char(c, Message::Digit(c)));
        let keypad = keypad(
            vec![
                vec![digit('1'), digit('2'), digit('3')],
                vec![digit('4'), digit('5'), digit('6')],
                vec![digit('7'), digit('8'), digit('9')],
                vec![
                    Some(Key {
                        label: ctx.tr("action-delete"),
                        message: Message::Backspace,
                        word: false,
                    }),
                    digit('0'),
                    None,
                ],
            ],
            Sizes {
                key: Size::new(size::KEY * 1.5, size::KEY),
                char_text: text_size::KEY,
                word_text: text_size::KEY,
                spacing: 14.0,
            },
        );
        let left = column![
            title(ctx, ctx.tr("pin-title"), Some(ctx.tr("pin-hint"))),
            container(text(dots).size(text_size::KEY).font(font::BOLD))
                .center_y(size::TOUCH_MIN)
                .padding([0.0, 20.0])
                .width(Length::Fill)
                .style(theme::card),
            text(notice)
                .size(text_size::ANSWER)
                .style(theme::alert_text),
            row![
                super::secondary(ctx, ctx.tr("action-cancel"), Message::Cancel),
                primary(ctx, ctx.tr("action-sign-in"), Message::Submit),
            ]
            .spacing(size::GAP),
        ]
        .spacing(size::GAP)
        .width(Length::Fill);
        let body = row![left, keypad]
            .spacing(size::GAP * 2.0)
            .align_y(Alignment::Start);
        super::page(ctx, None, body.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_only_at_least_four_and_locked_pad_takes_nothing() {
        let mut pad = State::default();
        for c in "12a3".chars() {
            let _ = pad.update(Message::Digit(c));
        }
        assert_eq!(pad.update(Message::Submit), None);
        let _ = pad.update(Message::Digit('4'));
        assert_eq!(
            pad.update(Message::Submit),
            Some(Event::Check("1234".into()))
        );
        pad.notice = Some(Notice::Locked(Duration::from_secs(30)));
        let _ = pad.update(Message::Digit('1'));
        assert_eq!(pad.update(Message::Submit), None);
        assert_eq!(pad.update(Message::Cancel), Some(Event::Cancel));
    }
}
