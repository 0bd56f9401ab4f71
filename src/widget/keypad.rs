//! A grid of large keys: the dossier keypad, the PIN pad, the setup keypad.

use iced::widget::{Space, button, column, container, row, text};
use iced::{Length, Size};

use crate::font;
use crate::theme;
use crate::widget::Element;

/// One key: its label, its message, and whether the label is a word (drawn smaller).
#[derive(Debug, Clone)]
pub struct Key<M> {
    pub label: String,
    pub message: M,
    pub word: bool,
}

impl<M> Key<M> {
    /// A key showing one character.
    pub fn char(c: char, message: M) -> Self {
        Self {
            label: c.to_string(),
            message,
            word: false,
        }
    }

    /// A key with a word on it (Delete, Clear, https://).
    pub fn word(label: String, message: M) -> Self {
        Self {
            label,
            message,
            word: true,
        }
    }
}

/// Text sizes of character keys and word keys.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub key: Size,
    pub char_text: f32,
    pub word_text: f32,
    pub spacing: f32,
}

/// The keys in rows; `None` leaves a gap the size of a key.
pub fn keypad<'a, M: Clone + 'a>(rows: Vec<Vec<Option<Key<M>>>>, sizes: Sizes) -> Element<'a, M> {
    column(rows.into_iter().map(|keys| {
        row(keys.into_iter().map(|key| match key {
            None => Space::new()
                .width(sizes.key.width)
                .height(sizes.key.height)
                .into(),
            Some(key) => button(
                container(
                    text(key.label)
                        .size(if key.word {
                            sizes.word_text
                        } else {
                            sizes.char_text
                        })
                        .font(font::BOLD),
                )
                .center_x(Length::Fill)
                .center_y(Length::Fill),
            )
            .on_press(key.message)
            .width(sizes.key.width)
            .height(sizes.key.height)
            .style(theme::secondary_button)
            .into(),
        }))
        .spacing(sizes.spacing)
        .into()
    }))
    .spacing(sizes.spacing)
    .into()
}
