//! A large check box drawn on a canvas (the font has no check mark glyph).

use iced::widget::canvas::{self, Frame, Geometry, Path, Stroke};
use iced::{Length, Point, Rectangle, Renderer, Size, Theme, mouse};

use crate::theme::palette;

/// A check box of 40 units, ticked when `on`.
pub fn check<'a, Message: 'a>(on: bool) -> crate::widget::Element<'a, Message> {
    canvas::Canvas::new(Check { on })
        .width(Length::Fixed(40.0))
        .height(Length::Fixed(40.0))
        .into()
}

#[derive(Debug, Clone, Copy)]
struct Check {
    on: bool,
}

impl<Message> canvas::Program<Message> for Check {
    type State = ();

    fn draw(
        &self,
        _state: &(),
        renderer: &Renderer,
        theme: &Theme,
        bounds: Rectangle,
        _cursor: mouse::Cursor,
    ) -> Vec<Geometry> {
        let p = palette(theme);
        let mut frame = Frame::new(renderer, bounds.size());
        let side = bounds.width.min(bounds.height) - 4.0;
        let origin = Point::new(2.0, 2.0);
        let square = Path::rounded_rectangle(origin, Size::new(side, side), 6.0.into());
        frame.fill(&square, p.surface);
        frame.stroke(
            &square,
            Stroke::default().with_color(p.outline).with_width(3.0),
        );
        if self.on {
            let tick = Path::new(|p| {
                p.move_to(Point::new(origin.x + side * 0.2, origin.y + side * 0.52));
                p.line_to(Point::new(origin.x + side * 0.42, origin.y + side * 0.74));
                p.line_to(Point::new(origin.x + side * 0.8, origin.y + side * 0.28));
            });
            frame.stroke(
                &tick,
                Stroke::default()
                    .with_color(p.accent)
                    .with_width(side * 0.14)
                    .with_line_cap(canvas::LineCap::Round)
                    .with_line_join(canvas::LineJoin::Round),
            );
        }
        vec![frame.into_geometry()]
    }
}
