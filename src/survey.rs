//! Question sets: the satisfaction scale, the follow-ups a rating leads to, and their scoring.

use serde::{Deserialize, Serialize};

use crate::config::LocalText;

/// One question set, as configured (domain.md sets A to D).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSet {
    pub id: String,
    /// Raised whenever the set changes; stored with each rating.
    pub version: u32,
    /// Name for staff and technicians.
    pub name: LocalText,
    /// 3, 4 or 5 satisfaction levels.
    pub levels: u8,
    /// The main question; the standard wording from i18n when absent.
    #[serde(default)]
    pub question: Option<LocalText>,
    /// Reasons offered after a negative rating (multi-select); none means no reasons page.
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// Criteria pages that follow every rating (Circular 01 indicators or SIPAS statements).
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// Whether to ask for the dossier code at the end.
    #[serde(default)]
    pub ask_dossier: bool,
    /// Whether to offer the comment page (góp ý, with the complaint tick and call-back).
    #[serde(default)]
    pub ask_comment: bool,
}

/// A reason for dissatisfaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub id: String,
    pub text: LocalText,
}

/// A follow-up page with one statement or indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub kind: CriterionKind,
    pub text: LocalText,
    /// The answers of a Circular 01 indicator, each with its points (2, 1 or 0).
    #[serde(default)]
    pub options: Vec<CriterionOption>,
}

/// How a criterion is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionKind {
    /// A Circular 01/2018 indicator: options scored 2 / 1 / 0.
    Circular01,
    /// A SIPAS statement rated on the 5-level scale (points 1 to 5).
    Scale5,
}

/// One answer of a Circular 01 indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionOption {
    pub text: LocalText,
    pub points: u8,
}

/// What a level means, whatever the size of the scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sentiment {
    VeryUnsatisfied,
    Unsatisfied,
    Neutral,
    Satisfied,
    VerySatisfied,
}

impl Sentiment {
    /// The i18n key of the level's word.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::VeryUnsatisfied => "level-very-unsatisfied",
            Self::Unsatisfied => "level-unsatisfied",
            Self::Neutral => "level-neutral",
            Self::Satisfied => "level-satisfied",
            Self::VerySatisfied => "level-very-satisfied",
        }
    }

    /// A negative rating asks for reasons and counts against the Decision 766 rate.
    pub fn is_negative(self) -> bool {
        matches!(self, Self::VeryUnsatisfied | Self::Unsatisfied)
    }

    /// SIPAS counts "satisfied" and "very satisfied".
    pub fn is_satisfied(self) -> bool {
        matches!(self, Self::Satisfied | Self::VerySatisfied)
    }
}

/// The sentiments of a scale of `count` levels, from level 1 (least satisfied) upwards.
pub fn scale(count: u8) -> &'static [Sentiment] {
    use Sentiment::*;
    match count {
        3 => &[Unsatisfied, Satisfied, VerySatisfied],
        4 => &[Unsatisfied, Neutral, Satisfied, VerySatisfied],
        _ => &[
            VeryUnsatisfied,
            Unsatisfied,
            Neutral,
            Satisfied,
            VerySatisfied,
        ],
    }
}

/// A level of a scale: 1 is the least satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level {
    pub value: u8,
    pub count: u8,
}

impl Level {
    /// Level `value` of a scale of `count`, if it exists.
    pub fn new(value: u8, count: u8) -> Option<Self> {
        ((3..=5).contains(&count) && (1..=count).contains(&value)).then_some(Self { value, count })
    }

    /// What the level means.
    pub fn sentiment(self) -> Sentiment {
        scale(self.count)[usize::from(self.value - 1)]
    }

    /// The levels of a scale, most satisfied first: the order they are shown in (as on the
    /// official forms: "Rất hài lòng / Hài lòng / Không hài lòng").
    pub fn all_for_display(count: u8) -> Vec<Self> {
        (1..=count)
            .rev()
            .filter_map(|value| Self::new(value, count))
            .collect()
    }
}

/// One page of the citizen flow after the rating itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reasons for a negative rating.
    Reasons,
    /// The criterion at this index of the set.
    Criterion(usize),
    /// The comment, and a complaint with its call-back.
    Comment,
    /// The dossier code.
    Dossier,
}

impl QuestionSet {
    /// The follow-up pages after a rating at `level`, in order.
    pub fn steps_after(&self, level: Level, dossier_known: bool) -> Vec<Step> {
        let mut steps = Vec::new();
        if level.sentiment().is_negative() && !self.reasons.is_empty() {
            steps.push(Step::Reasons);
        }
        steps.extend((0..self.criteria.len()).map(Step::Criterion));
        if self.ask_comment {
            steps.push(Step::Comment);
        }
        if self.ask_dossier && !dossier_known {
            steps.push(Step::Dossier);
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TerminalConfig;

    #[test]
    fn levels_count_from_the_least_satisfied() {
        let three = Level::new(1, 3).expect("exists");
        assert_eq!(three.sentiment(), Sentiment::Unsatisfied);
        assert_eq!(
            Level::new(3, 3).expect("exists").sentiment(),
            Sentiment::VerySatisfied
        );
        assert_eq!(
            Level::new(1, 5).expect("exists").sentiment(),
            Sentiment::VeryUnsatisfied
        );
        assert_eq!(
            Level::new(2, 4).expect("exists").sentiment(),
            Sentiment::Neutral
        );
        assert!(Level::new(0, 3).is_none());
        assert!(Level::new(4, 3).is_none());
        assert!(Level::new(1, 6).is_none());
    }

    #[test]
    fn display_order_is_most_satisfied_first() {
        let shown: Vec<u8> = Level::all_for_display(4).iter().map(|l| l.value).collect();
        assert_eq!(shown, vec![4, 3, 2, 1]);
    }

    #[test]
    fn only_a_negative_rating_asks_for_reasons() {
        let demo = TerminalConfig::demo();
        let quick = demo
            .question_sets
            .iter()
            .find(|s| s.levels == 3 && !s.reasons.is_empty())
            .expect("demo has a quick set");
        let low = Level::new(1, 3).expect("exists");
        let high = Level::new(3, 3).expect("exists");
        assert_eq!(quick.steps_after(low, true).first(), Some(&Step::Reasons));
        assert!(!quick.steps_after(high, true).contains(&Step::Reasons));
    }
}
