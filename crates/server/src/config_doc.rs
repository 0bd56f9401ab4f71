//! The terminal configuration the server imports and serves: the kiosk's TOML file,
//! converted to JSON verbatim. The server only checks that it parses and names its commune;
//! the kiosk validates the rest.

use chrono::{DateTime, Utc};

use crate::secret::sha256_hex;
use crate::store::NewConfig;

/// Why a configuration file was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML.
    #[error("not valid TOML: {0}")]
    Toml(String),
    /// A required key is missing or of the wrong type.
    #[error("{0}")]
    Missing(String),
    /// A value JSON cannot carry (NaN or infinite float).
    #[error("{0}")]
    Unrepresentable(String),
}

/// Starter terminal configuration for `print-default-config`.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/default-config.toml");

/// Parses and checks a TOML configuration, ready to import.
pub fn parse(source: &str, now: DateTime<Utc>) -> Result<NewConfig, ConfigError> {
    let table: toml::Table = source
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string()))?;
    let commune = table
        .get("commune")
        .and_then(toml::Value::as_table)
        .ok_or_else(|| ConfigError::Missing("missing [commune] table".into()))?;
    let code = required_str(commune, "code")?;
    required_str(commune, "name")?;
    let document = to_json(&toml::Value::Table(table.clone()), "")?;
    Ok(NewConfig {
        commune_code: code.to_owned(),
        version: sha256_hex(source.as_bytes()),
        source: source.to_owned(),
        document,
        imported_at: now,
    })
}

fn required_str<'a>(table: &'a toml::Table, key: &str) -> Result<&'a str, ConfigError> {
    table
        .get(key)
        .and_then(toml::Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ConfigError::Missing(format!("[commune] needs a non-empty string `{key}`")))
}

/// TOML to JSON: datetimes become their RFC 3339 text.
fn to_json(value: &toml::Value, path: &str) -> Result<serde_json::Value, ConfigError> {
    use serde_json::Value as J;
    Ok(match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f)
                .map(J::Number)
                .ok_or_else(|| {
                    ConfigError::Unrepresentable(format!("`{path}` is not a finite number"))
                })?
        }
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| to_json(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    Ok((k.clone(), to_json(v, &p)?))
                })
                .collect::<Result<_, ConfigError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_imports() {
        let c = parse(DEFAULT_CONFIG, Utc::now()).unwrap();
        assert!(!c.commune_code.is_empty());
        assert_eq!(c.version.len(), 64);
        assert!(c.document["commune"]["name"].is_string());
    }

    #[test]
    fn refuses_config_without_commune_code() {
        let err = parse("[commune]\nname = \"Xã A\"\n", Utc::now()).unwrap_err();
        assert!(err.to_string().contains("`code`"), "{err}");
        assert!(matches!(
            parse("[commune", Utc::now()),
            Err(ConfigError::Toml(_))
        ));
        assert!(matches!(
            parse(
                "x = nan\n[commune]\ncode = \"1\"\nname = \"A\"\n",
                Utc::now()
            ),
            Err(ConfigError::Unrepresentable(_))
        ));
    }
}
