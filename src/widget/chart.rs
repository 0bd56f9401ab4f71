//! Charts for the staff screen, drawn on iced's canvas: ratings per hour stacked by level,
//! the share satisfied per day, and reasons as bars. Numbers are written on them, so they read
//! without a legend.

use iced::alignment::{Horizontal, Vertical};
use iced::widget::canvas::{self, Frame, Geometry, Path, Stroke, Text};
use iced::{Color, Length, Pixels, Point, Rectangle, Renderer, Size, Theme, mouse};

use crate::survey::Sentiment;
use crate::theme::{PALETTE, level_colors};

const SENTIMENTS: [Sentiment; 5] = [
    Sentiment::VeryUnsatisfied,
    Sentiment::Unsatisfied,
    Sentiment::Neutral,
    Sentiment::Satisfied,
    Sentiment::VerySatisfied,
];

/// Ratings per hour between `first_hour` and `last_hour`, stacked by sentiment (least
/// satisfied at the bottom), the total above each bar.
pub fn hourly<'a, Message: 'a>(
    per_hour: &[[u64; 5]],
    first_hour: usize,
    last_hour: usize,
) -> crate::widget::Element<'a, Message> {
    let hours = (first_hour..=last_hour.min(23))
        .map(|h| (h, per_hour.get(h).copied().unwrap_or_default()))
        .collect();
    canvas::Canvas::new(Hourly { hours })
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
}

/// A line of a share (0..=1) per day; days without ratings leave a gap.
pub fn daily_share<'a, Message: 'a>(
    days: Vec<(String, Option<f64>)>,
) -> crate::widget::Element<'a, Message> {
    canvas::Canvas::new(DailyShare { days })
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
}

/// Horizontal bars, one per (label, count), longest first as given.
pub fn bars<'a, Message: 'a>(rows: Vec<(String, u64)>) -> crate::widget::Element<'a, Message> {
    canvas::Canvas::new(Bars { rows })
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
}

fn label(frame: &mut Frame, content: String, at: Point, size: f32, h: Horizontal, v: Vertical) {
    frame.fill_text(Text {
        content,
        position: at,
        color: PALETTE.text,
        size: Pixels(size),
        font: crate::font::REGULAR,
        align_x: h.into(),
        align_y: v,
        ..Text::default()
    });
}

struct Hourly {
    hours: Vec<(usize, [u64; 5])>,
}

impl<Message> canvas::Program<Message> for Hourly {
    type State = ();

    fn draw(
        &self,
        _: &(),
        renderer: &Renderer,
        _: &Theme,
        bounds: Rectangle,
        _: mouse::Cursor,
    ) -> Vec<Geometry> {
        let mut frame = Frame::new(renderer, bounds.size());
        let (left, bottom, top) = (8.0, bounds.height - 26.0, 24.0);
        let width = bounds.width - left * 2.0;
        let max = self
            .hours
            .iter()
            .map(|(_, counts)| counts.iter().sum::<u64>())
            .max()
            .unwrap_or(0)
            .max(1);
        let slot = width / self.hours.len().max(1) as f32;
        let bar = slot * 0.7;
        let scale = (bottom - top) / max as f32;
        axis(&mut frame, left, bottom, width);
        for (i, (hour, counts)) in self.hours.iter().enumerate() {
            let x = left + slot * i as f32 + (slot - bar) / 2.0;
            let mut y = bottom;
            for (sentiment, count) in SENTIMENTS.iter().zip(counts) {
                if *count == 0 {
                    continue;
                }
                let h = *count as f32 * scale;
                y -= h;
                frame.fill_rectangle(
                    Point::new(x, y),
                    Size::new(bar, h),
                    level_colors(*sentiment).strong,
                );
            }
            let total: u64 = counts.iter().sum();
            if total > 0 {
                label(
                    &mut frame,
                    total.to_string(),
                    Point::new(x + bar / 2.0, y - 2.0),
                    16.0,
                    Horizontal::Center,
                    Vertical::Bottom,
                );
            }
            label(
                &mut frame,
                format!("{hour}h"),
                Point::new(x + bar / 2.0, bottom + 4.0),
                15.0,
                Horizontal::Center,
                Vertical::Top,
            );
        }
        vec![frame.into_geometry()]
    }
}

fn axis(frame: &mut Frame, left: f32, bottom: f32, width: f32) {
    frame.stroke(
        &Path::line(Point::new(left, bottom), Point::new(left + width, bottom)),
        Stroke::default()
            .with_color(PALETTE.outline)
            .with_width(2.0),
    );
}

struct DailyShare {
    days: Vec<(String, Option<f64>)>,
}

impl<Message> canvas::Program<Message> for DailyShare {
    type State = ();

    fn draw(
        &self,
        _: &(),
        renderer: &Renderer,
        _: &Theme,
        bounds: Rectangle,
        _: mouse::Cursor,
    ) -> Vec<Geometry> {
        let mut frame = Frame::new(renderer, bounds.size());
        let (left, right, bottom, top) = (52.0, 12.0, bounds.height - 26.0, 14.0);
        let width = bounds.width - left - right;
        let y_of = |share: f64| bottom - (bottom - top) * share as f32;
        for (share, text) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
            let y = y_of(share);
            frame.stroke(
                &Path::line(Point::new(left, y), Point::new(left + width, y)),
                Stroke::default()
                    .with_color(Color {
                        a: 0.35,
                        ..PALETTE.outline
                    })
                    .with_width(1.0),
            );
            label(
                &mut frame,
                text.to_owned(),
                Point::new(left - 6.0, y),
                15.0,
                Horizontal::Right,
                Vertical::Center,
            );
        }
        let n = self.days.len().max(2);
        let step = width / (n - 1) as f32;
        let points: Vec<Option<Point>> = self
            .days
            .iter()
            .enumerate()
            .map(|(i, (_, share))| share.map(|s| Point::new(left + step * i as f32, y_of(s))))
            .collect();
        let line = Path::new(|p| {
            let mut drawing = false;
            for point in &points {
                match point {
                    Some(point) if drawing => p.line_to(*point),
                    Some(point) => {
                        p.move_to(*point);
                        drawing = true;
                    }
                    None => drawing = false,
                }
            }
        });
        let strong = level_colors(Sentiment::VerySatisfied).strong;
        frame.stroke(&line, Stroke::default().with_color(strong).with_width(3.0));
        for point in points.iter().flatten() {
            frame.fill(&Path::circle(*point, 4.0), strong);
        }
        let every = (self.days.len() / 6).max(1);
        for (i, (day, _)) in self.days.iter().enumerate() {
            if i % every == 0 || i + 1 == self.days.len() {
                label(
                    &mut frame,
                    day.clone(),
                    Point::new(left + step * i as f32, bottom + 4.0),
                    15.0,
                    Horizontal::Center,
                    Vertical::Top,
                );
            }
        }
        vec![frame.into_geometry()]
    }
}

struct Bars {
    rows: Vec<(String, u64)>,
}

impl<Message> canvas::Program<Message> for Bars {
    type State = ();

    fn draw(
        &self,
        _: &(),
        renderer: &Renderer,
        _: &Theme,
        bounds: Rectangle,
        _: mouse::Cursor,
    ) -> Vec<Geometry> {
        let mut frame = Frame::new(renderer, bounds.size());
        let max = self.rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let row_height = (bounds.height / self.rows.len().max(1) as f32).min(44.0);
        let bar_left = bounds.width * 0.5;
        let bar_width = bounds.width - bar_left - 48.0;
        let color = level_colors(Sentiment::Unsatisfied).strong;
        for (i, (name, count)) in self.rows.iter().enumerate() {
            let y = row_height * i as f32;
            label(
                &mut frame,
                name.clone(),
                Point::new(bar_left - 10.0, y + row_height / 2.0),
                16.0,
                Horizontal::Right,
                Vertical::Center,
            );
            let w = bar_width * (*count as f32 / max as f32);
            frame.fill_rectangle(
                Point::new(bar_left, y + row_height * 0.18),
                Size::new(w.max(2.0), row_height * 0.64),
                color,
            );
            label(
                &mut frame,
                count.to_string(),
                Point::new(bar_left + w + 8.0, y + row_height / 2.0),
                16.0,
                Horizontal::Left,
                Vertical::Center,
            );
        }
        vec![frame.into_geometry()]
    }
}
