//! The on-screen keyboard for comments: QWERTY letters that write Vietnamese with Telex
//! composition (`vieetj` → `việt`), a digits layer, large keys; and the [`Composer`] that turns
//! keystrokes into text, which a physical keyboard feeds as well.

use iced::widget::{button, column, container, row, text};
use iced::{Length, Size};

use crate::font;
use crate::theme;
use crate::widget::Element;

/// Keystrokes into Vietnamese text. The word being typed is kept as its raw keys and shown
/// composed; a space, a digit or punctuation ends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composer {
    /// Text of the finished words.
    done: String,
    /// Raw keys of the word being typed.
    word: Vec<char>,
    /// Most characters the text may hold.
    limit: usize,
}

impl Composer {
    /// An empty composer holding at most `limit` characters.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Types `c`. Letters join the word being composed; anything else ends it.
    pub fn push(&mut self, c: char) {
        if c.is_control() || self.len() >= self.limit {
            return;
        }
        if c.is_alphabetic() {
            self.word.push(c);
            // A key that would take the composed word past the limit is not taken.
            if self.len() > self.limit {
                let _ = self.word.pop();
            }
        } else {
            self.commit();
            if c == ' ' && (self.done.is_empty() || self.done.ends_with(' ')) {
                return;
            }
            self.done.push(c);
        }
    }

    /// Removes the last key of the word being typed (undoing its mark: `thais` → `thai`), or
    /// the last character before it.
    pub fn backspace(&mut self) {
        if self.word.pop().is_none() {
            let _ = self.done.pop();
        }
    }

    /// The word being composed, as shown.
    pub fn composing(&self) -> String {
        let mut out = String::new();
        if !self.word.is_empty() {
            let _ = vi::methods::transform_buffer(&vi::TELEX, self.word.iter().copied(), &mut out);
        }
        out
    }

    /// The finished words (everything before the word being composed).
    pub fn finished(&self) -> &str {
        &self.done
    }

    /// The whole text as shown.
    pub fn text(&self) -> String {
        let mut text = self.done.clone();
        text.push_str(&self.composing());
        text
    }

    /// The text to store: composed, trimmed, `None` when empty.
    pub fn result(&self) -> Option<String> {
        let text = self.text();
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    fn commit(&mut self) {
        let composed = self.composing();
        self.done.push_str(&composed);
        self.word.clear();
    }

    fn len(&self) -> usize {
        self.done.chars().count() + self.composing().chars().count()
    }
}

/// A key of the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character (letters come lower case unless Shift is on).
    Char(char),
    Space,
    Backspace,
    /// Upper case for the next letter.
    Shift,
    /// Switch between letters and digits.
    Layer,
}

/// Which keys show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    pub digits: bool,
    pub shift: bool,
}

impl Layout {
    /// Applies a key to the layout; returns the character to type, if any.
    pub fn press(&mut self, key: Key) -> Option<char> {
        match key {
            Key::Char(c) => {
                let c = if self.shift {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c
                };
                self.shift = false;
                Some(c)
            }
            Key::Space => Some(' '),
            Key::Backspace => None,
            Key::Shift => {
                self.shift = !self.shift;
                None
            }
            Key::Layer => {
                self.digits = !self.digits;
                self.shift = false;
                None
            }
        }
    }
}

const LETTERS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
const DIGITS: [&str; 3] = ["1234567890", "-/:;()\"!?", ".,'@%+="];

/// Labels of the word keys, in the citizen's language.
#[derive(Debug, Clone)]
pub struct Labels {
    pub space: String,
    pub backspace: String,
    pub shift: String,
    pub digits: String,
    pub letters: String,
}

/// The keyboard: three rows of keys, then layer, space and delete. `key` is the size of a
/// letter key in design units; `text_size` the size of its label.
pub fn keyboard<'a, M: Clone + 'a>(
    layout: Layout,
    labels: &Labels,
    key: Size,
    text_size: f32,
    on_key: impl Fn(Key) -> M + 'a,
) -> Element<'a, M> {
    let gap = 8.0;
    let cap = |label: String, size: f32, width: f32, message: M, active: bool| -> Element<'a, M> {
        button(
            container(text(label).size(size).font(font::BOLD))
                .center_x(Length::Fill)
                .center_y(Length::Fill),
        )
        .on_press(message)
        .width(width)
        .height(key.height)
        .style(if active {
            theme::selected_button
        } else {
            theme::secondary_button
        })
        .into()
    };
    let rows = if layout.digits { DIGITS } else { LETTERS };
    let mut lines = column![].spacing(gap).align_x(iced::Alignment::Center);
    for (index, keys) in rows.iter().enumerate() {
        let mut line = row![].spacing(gap);
        if index == 2 && !layout.digits {
            line = line.push(cap(
                labels.shift.clone(),
                text_size * 0.8,
                key.width * 1.5,
                on_key(Key::Shift),
                layout.shift,
            ));
        }
        for c in keys.chars() {
            let shown = if layout.shift {
                c.to_uppercase().collect()
            } else {
                c.to_string()
            };
            line = line.push(cap(
                shown,
                text_size,
                key.width,
                on_key(Key::Char(c)),
                false,
            ));
        }
        if index == 2 {
            line = line.push(cap(
                labels.backspace.clone(),
                text_size * 0.8,
                key.width * 1.5,
                on_key(Key::Backspace),
                false,
            ));
        }
        lines = lines.push(line);
    }
    let layer = if layout.digits {
        labels.letters.clone()
    } else {
        labels.digits.clone()
    };
    lines = lines.push(
        row![
            cap(
                layer,
                text_size * 0.8,
                key.width * 1.5,
                on_key(Key::Layer),
                false
            ),
            cap(
                labels.space.clone(),
                text_size * 0.8,
                key.width * 6.0 + gap * 5.0,
                on_key(Key::Space),
                false
            ),
            cap(
                ",".to_owned(),
                text_size,
                key.width,
                on_key(Key::Char(',')),
                false
            ),
            cap(
                ".".to_owned(),
                text_size,
                key.width,
                on_key(Key::Char('.')),
                false
            ),
        ]
        .spacing(gap),
    );
    lines.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &str) -> String {
        let mut composer = Composer::new(1000);
        for c in keys.chars() {
            composer.push(c);
        }
        composer.text()
    }

    #[test]
    fn telex_composes_vietnamese() {
        assert_eq!(typed("Thais ddooj toots"), "Thái độ tốt");
        assert_eq!(typed("vieetj nam"), "việt nam");
        assert_eq!(typed("Chowf laau quas"), "Chờ lâu quá");
        assert_eq!(typed("dduwowcj"), "được");
        assert_eq!(
            typed("cans booj nhieetj tinhf, 10 ddieerm."),
            "cán bộ nhiệt tình, 10 điểm."
        );
    }

    #[test]
    fn the_word_being_typed_shows_composed() {
        let mut composer = Composer::new(1000);
        for c in "Thai dd".chars() {
            composer.push(c);
        }
        assert_eq!(composer.finished(), "Thai ");
        assert_eq!(composer.composing(), "đ");
    }

    #[test]
    fn backspace_undoes_the_last_key_then_characters() {
        let mut composer = Composer::new(1000);
        for c in "ok thais".chars() {
            composer.push(c);
        }
        assert_eq!(composer.text(), "ok thái");
        composer.backspace();
        assert_eq!(composer.text(), "ok thai");
        for _ in 0..4 {
            composer.backspace();
        }
        assert_eq!(composer.text(), "ok ");
        composer.backspace();
        assert_eq!(composer.text(), "ok");
    }

    #[test]
    fn spaces_do_not_pile_up_and_the_result_is_trimmed() {
        let mut composer = Composer::new(1000);
        for c in "   a   b  ".chars() {
            composer.push(c);
        }
        assert_eq!(composer.result().as_deref(), Some("a b"));
        assert_eq!(Composer::new(10).result(), None);
    }

    #[test]
    fn the_limit_holds() {
        let mut composer = Composer::new(5);
        for c in "abcdefgh".chars() {
            composer.push(c);
        }
        assert_eq!(composer.text(), "abcde");
        let mut composer = Composer::new(5);
        for c in "a\u{7}\n\tb".chars() {
            composer.push(c);
        }
        assert_eq!(composer.text(), "ab");
    }

    #[test]
    fn shift_makes_one_capital() {
        let mut layout = Layout::default();
        assert_eq!(layout.press(Key::Shift), None);
        assert_eq!(layout.press(Key::Char('t')), Some('T'));
        assert_eq!(layout.press(Key::Char('h')), Some('h'));
        assert_eq!(layout.press(Key::Layer), None);
        assert!(layout.digits);
    }
}
