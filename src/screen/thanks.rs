//! The thank-you screen; the app returns to the start by itself.

use iced::widget::{column, container, text};
use iced::{Alignment, Length};

use super::{Context, page};
use crate::font;
use crate::survey::Sentiment;
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::face::face;

/// Whether the rating is safely stored yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    /// The write is under way (usually a millisecond).
    Pending,
    /// On disk.
    Saved,
    /// The write failed; it is kept and retried.
    Trouble,
}

/// What the citizen asked for besides the rating, to say what happens next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FollowUp {
    /// Nothing to follow up.
    #[default]
    None,
    /// A complaint, without a number to call back.
    Complaint,
    /// A complaint with a call-back number (never shown again).
    CallBack,
}

/// The screen. It never claims a rating was saved before the store said so.
pub fn view<'a, M: Clone + 'a>(
    ctx: &Context<'_>,
    saving: Saving,
    follow_up: FollowUp,
) -> Element<'a, M> {
    let (body_key, style): (_, fn(&iced::Theme) -> text::Style) = match saving {
        Saving::Saved => ("thanks-body", text::default),
        Saving::Pending => ("thanks-saving", theme::muted_text),
        Saving::Trouble => ("write-apology", theme::alert_text),
    };
    let mut body = column![
        face(Sentiment::VerySatisfied, size::FACE * 1.2),
        text(ctx.tr("thanks-title"))
            .size(ctx.text(text_size::QUESTION) * 1.3)
            .font(font::BOLD),
        text(ctx.tr(body_key))
            .size(ctx.text(text_size::ANSWER))
            .style(style)
            .align_x(Alignment::Center),
    ];
    let next = match follow_up {
        FollowUp::None => None,
        FollowUp::Complaint => Some("thanks-complaint"),
        FollowUp::CallBack => Some("thanks-call-back"),
    };
    if let Some(key) = next {
        body = body.push(
            text(ctx.tr(key))
                .size(ctx.text(text_size::ANSWER))
                .align_x(Alignment::Center),
        );
    }
    let body = body.spacing(28).align_x(Alignment::Center).max_width(900);
    page(
        ctx,
        None,
        container(body)
            .center_x(Length::Fill)
            .center_y(Length::Fill)
            .into(),
    )
}
