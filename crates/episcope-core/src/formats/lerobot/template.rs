//! Python `str.format`-style path templates of `info.json` (`{episode_index:06d}`, `{video_key}`).

/// A value substituted into a template.
#[derive(Debug, Clone, Copy)]
pub enum TemplateValue<'a> {
    Int(u64),
    Str(&'a str),
}

/// Why a template could not be filled.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("template `{template}` names `{{{key}}}`, which is not known here")]
    UnknownKey { key: String, template: String },
    #[error("template `{template}` has an unclosed or unsupported field")]
    Malformed { template: String },
}

/// Fills `{name}` and `{name:0Nd}` fields.
pub fn fill(template: &str, values: &[(&str, TemplateValue<'_>)]) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| TemplateError::Malformed { template: template.to_string() })?;
        let field = &after[..close];
        let (key, spec) = field.split_once(':').unwrap_or((field, ""));
        let value = values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| TemplateError::UnknownKey { key: key.to_string(), template: template.to_string() })?;
        match (value, spec) {
            (TemplateValue::Str(s), "") => out.push_str(s),
            (TemplateValue::Int(n), "") | (TemplateValue::Int(n), "d") => out.push_str(&n.to_string()),
            (TemplateValue::Int(n), spec) => {
                let width = spec
                    .strip_prefix('0')
                    .and_then(|w| w.strip_suffix('d'))
                    .and_then(|w| w.parse::<usize>().ok())
                    .filter(|w| *w <= 32)
                    .ok_or_else(|| TemplateError::Malformed { template: template.to_string() })?;
                out.push_str(&format!("{n:0width$}"));
            }
            (TemplateValue::Str(_), _) => return Err(TemplateError::Malformed { template: template.to_string() }),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_lerobot_templates() {
        let v2 = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet";
        let got = fill(v2, &[("episode_chunk", TemplateValue::Int(1)), ("episode_index", TemplateValue::Int(1234))]);
        assert_eq!(got.unwrap(), "data/chunk-001/episode_001234.parquet");
        let v3 = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4";
        let got = fill(
            v3,
            &[
                ("video_key", TemplateValue::Str("observation.images.front")),
                ("chunk_index", TemplateValue::Int(0)),
                ("file_index", TemplateValue::Int(12)),
            ],
        );
        assert_eq!(got.unwrap(), "videos/observation.images.front/chunk-000/file-012.mp4");
    }

    #[test]
    fn unknown_keys_and_bad_specs_are_errors() {
        assert!(matches!(fill("{nope}", &[]), Err(TemplateError::UnknownKey { .. })));
        assert!(matches!(fill("{a:x}", &[("a", TemplateValue::Int(1))]), Err(TemplateError::Malformed { .. })));
        assert!(matches!(fill("{a", &[("a", TemplateValue::Int(1))]), Err(TemplateError::Malformed { .. })));
    }
}
