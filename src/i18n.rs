//! Fluent bundles for every language in i18n/, and the lookup the screens use.
//!
//! Vietnamese is the default and the fallback: a key missing in another language falls back to
//! it (a test keeps the files in step, so that only happens in development).

use std::collections::BTreeMap;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

include!(concat!(env!("OUT_DIR"), "/languages.rs"));

/// The language every citizen starts in.
pub const DEFAULT_LANGUAGE: &str = "vi";

/// A language tag such as `vi` or `en` (the file stem in i18n/).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Language(pub String);

impl Language {
    /// Vietnamese, the default.
    pub fn default_language() -> Self {
        Self(DEFAULT_LANGUAGE.to_owned())
    }

    /// The tag as written in file names and stored ratings.
    pub fn tag(&self) -> &str {
        &self.0
    }
}

impl Default for Language {
    fn default() -> Self {
        Self::default_language()
    }
}

/// A problem in an i18n file, found when the bundles are built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum I18nError {
    #[error("i18n/{file}.ftl: {message}")]
    Parse { file: String, message: String },
    #[error("i18n/{0}.ftl: the file name is not a language tag")]
    Tag(String),
}

/// All languages, loaded once and shared.
#[derive(Clone)]
pub struct I18n {
    bundles: Arc<BTreeMap<Language, FluentBundle<FluentResource>>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n")
            .field("languages", &self.languages())
            .finish()
    }
}

impl I18n {
    /// Builds bundles from the embedded i18n/ files.
    pub fn embedded() -> Result<Self, I18nError> {
        Self::from_sources(
            LANGUAGE_FILES
                .iter()
                .map(|(tag, src)| (*tag, (*src).to_owned())),
        )
    }

    /// Builds bundles from (tag, Fluent source) pairs; used by tests to add a language.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<Self, I18nError> {
        let mut bundles = BTreeMap::new();
        for (tag, source) in sources {
            let langid: LanguageIdentifier =
                tag.parse().map_err(|_| I18nError::Tag(tag.to_owned()))?;
            let resource =
                FluentResource::try_new(source).map_err(|(_, errors)| I18nError::Parse {
                    file: tag.to_owned(),
                    message: format!("{errors:?}"),
                })?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Isolation marks render as boxes in our font.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| I18nError::Parse {
                    file: tag.to_owned(),
                    message: format!("{errors:?}"),
                })?;
            bundles.insert(Language(tag.to_owned()), bundle);
        }
        Ok(Self {
            bundles: Arc::new(bundles),
        })
    }

    /// Languages offered, Vietnamese first.
    pub fn languages(&self) -> Vec<Language> {
        let mut languages: Vec<Language> = self.bundles.keys().cloned().collect();
        languages.sort_by_key(|language| (language.tag() != DEFAULT_LANGUAGE, language.clone()));
        languages
    }

    /// The message `key` in `language`, falling back to Vietnamese, then to the key itself.
    pub fn tr(&self, language: &Language, key: &str) -> String {
        self.format(language, key, None)
    }

    /// The message `key` with arguments.
    pub fn tr_args(&self, language: &Language, key: &str, args: &[(&str, String)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(value.clone()));
        }
        self.format(language, key, Some(&fluent_args))
    }

    fn format(&self, language: &Language, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let candidates = [language.clone(), Language::default_language()];
        for candidate in &candidates {
            let Some(bundle) = self.bundles.get(candidate) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::warn!(key, ?errors, "i18n formatting problem");
            }
            return text.into_owned();
        }
        tracing::warn!(key, "i18n key missing");
        key.to_owned()
    }

    /// Message ids defined in one language (for the completeness test).
    pub fn keys(&self, language: &Language) -> Vec<String> {
        let Some((_, source)) = LANGUAGE_FILES
            .iter()
            .find(|(tag, _)| *tag == language.tag())
        else {
            return Vec::new();
        };
        message_ids(source)
    }
}

/// The message ids of one Fluent source, in file order.
pub fn message_ids(source: &str) -> Vec<String> {
    match fluent_syntax::parser::parse(source) {
        Ok(resource) | Err((resource, _)) => resource
            .body
            .iter()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                _ => None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_language_file_has_the_same_keys() {
        let mut reference: Option<(&str, BTreeSet<String>)> = None;
        assert!(LANGUAGE_FILES.len() >= 2, "vi and en at least");
        for (tag, source) in LANGUAGE_FILES {
            let keys: BTreeSet<String> = message_ids(source).into_iter().collect();
            assert!(!keys.is_empty(), "{tag}.ftl has no messages");
            if let Some((ref_tag, ref_keys)) = &reference {
                let missing: Vec<_> = ref_keys.difference(&keys).collect();
                let extra: Vec<_> = keys.difference(ref_keys).collect();
                assert!(
                    missing.is_empty() && extra.is_empty(),
                    "{tag}.ftl differs from {ref_tag}.ftl: missing {missing:?}, extra {extra:?}"
                );
            } else {
                reference = Some((tag, keys));
            }
        }
    }

    #[test]
    fn every_file_parses_and_vietnamese_comes_first() {
        let i18n = I18n::embedded().expect("embedded files parse");
        assert_eq!(i18n.languages()[0].tag(), "vi");
        let vi = Language::default_language();
        assert_eq!(i18n.tr(&vi, "level-satisfied"), "Hài lòng");
    }

    #[test]
    fn arguments_are_not_wrapped_in_isolation_marks() {
        let i18n = I18n::embedded().expect("embedded files parse");
        let text = i18n.tr_args(
            &Language::default_language(),
            "criteria-progress",
            &[("current", "1".into()), ("total", "6".into())],
        );
        assert_eq!(text, "Câu 1 / 6");
    }

    #[test]
    fn a_missing_key_falls_back_to_vietnamese_then_the_key() {
        let i18n = I18n::from_sources([
            ("vi", "only-vi = Chỉ tiếng Việt\n".to_owned()),
            ("en", "other = Other\n".to_owned()),
        ])
        .expect("parses");
        let en = Language("en".into());
        assert_eq!(i18n.tr(&en, "only-vi"), "Chỉ tiếng Việt");
        assert_eq!(i18n.tr(&en, "nowhere"), "nowhere");
    }
}
