//! Deep links: the URL's query names a bundled example, an episode and a time, so a shared link
//! reopens the same view. Local datasets cannot be named in a URL (their files never leave the
//! machine), so their links carry only the episode and time. Plain logic, tested natively.

/// What a link restores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeepLink {
    pub example: Option<String>,
    pub episode: Option<u64>,
    /// Seconds from the episode start.
    pub time_secs: Option<f64>,
}

/// Longest example id accepted from a URL (ids are folder names of bundled examples).
const MAX_EXAMPLE_ID_LEN: usize = 128;

impl DeepLink {
    /// Reads `example`, `episode` and `t` from `(key, value)` query pairs; malformed values are
    /// ignored rather than guessed.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> DeepLink {
        let mut link = DeepLink::default();
        for (key, value) in pairs {
            match key {
                "example" => {
                    let ok = !value.is_empty()
                        && value.len() <= MAX_EXAMPLE_ID_LEN
                        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    link.example = ok.then(|| value.to_string());
                }
                "episode" => link.episode = value.parse().ok(),
                "t" => link.time_secs = value.parse::<f64>().ok().filter(|t| t.is_finite() && *t >= 0.0),
                _ => {}
            }
        }
        link
    }

    /// The `(key, value)` pairs to set in the URL (`None`: remove the key). Times are written to
    /// the millisecond.
    pub fn to_pairs(&self) -> [(&'static str, Option<String>); 3] {
        [
            ("example", self.example.clone()),
            ("episode", self.episode.map(|e| e.to_string())),
            ("t", self.time_secs.map(format_time_param)),
        ]
    }
}

/// `4.2`, `0`, `12.345`: a time for the URL, without float noise.
pub fn format_time_param(time_secs: f64) -> String {
    let text = format!("{time_secs:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes() {
        let link = DeepLink { example: Some("v30_so101_video".into()), episode: Some(3), time_secs: Some(2.5) };
        let pairs = link.to_pairs();
        assert_eq!(pairs[2], ("t", Some("2.5".to_string())));
        let owned: Vec<(&str, String)> = pairs.iter().filter_map(|(k, v)| v.clone().map(|v| (*k, v))).collect();
        let back = DeepLink::from_pairs(owned.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(back, link);
    }

    #[test]
    fn malformed_values_are_ignored() {
        let link = DeepLink::from_pairs([("example", "../etc"), ("episode", "-1"), ("t", "NaN"), ("x", "1")]);
        assert_eq!(link, DeepLink::default());
        let link = DeepLink::from_pairs([("t", "-3"), ("episode", "2")]);
        assert_eq!(link, DeepLink { example: None, episode: Some(2), time_secs: None });
        assert_eq!(format_time_param(0.0), "0");
        assert_eq!(format_time_param(1.0 / 3.0), "0.333");
    }
}
