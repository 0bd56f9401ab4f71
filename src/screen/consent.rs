//! Consent before a call-back number is asked (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): what
//! the number is for, how long it is kept, and that saying no changes nothing. Silence is not
//! consent: walking away, Skip or "No" all leave the complaint without a number.

use iced::widget::{column, container, text};
use iced::{Alignment, Length};

use super::{Context, bottom_bar, page, primary, secondary, title};
use crate::theme::{size, text_size};
use crate::widget::Element;

/// The version of the consent text (`consent-body` in every i18n file) that a citizen agrees
/// to; stored with the number as `<version>:<language>`. CHANGE IT WHENEVER THE TEXT CHANGES in
/// any language, so that every stored consent names the words the citizen read.
pub const CONSENT_VERSION: &str = "pakn-2026-01";

/// The consent version stored for a citizen who read the text in `language`.
pub fn consent_version(language: &str) -> String {
    format!("{CONSENT_VERSION}:{language}")
}

/// What a citizen can do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Agree,
    Decline,
}

/// The screen.
pub fn view<'a>(ctx: &Context<'_>) -> Element<'a, Message> {
    let body = column![
        title(ctx, ctx.tr("consent-title"), None),
        container(
            text(ctx.tr("consent-body"))
                .size(ctx.text(text_size::ANSWER))
                .width(Length::Fill)
        )
        .height(Length::Fill)
        .align_y(Alignment::Center),
        bottom_bar(
            secondary(ctx, ctx.tr("consent-decline"), Message::Decline),
            Some(primary(ctx, ctx.tr("consent-agree"), Message::Agree)),
        ),
    ]
    .spacing(size::GAP)
    .max_width(1100);
    page(ctx, None, container(body).center_x(Length::Fill).into())
}
