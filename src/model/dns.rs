//! Route53 hosted zones and their record sets, with geolocation shown location by location.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct DnsView {
    pub zones: Vec<HostedZone>,
    /// Accounts the last refresh could not read (their last zones are in `zones`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<super::Unreadable>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct HostedZone {
    pub name: String,
    pub id: String,
    pub private: bool,
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<super::AccountRef>,
    pub record_sets: Vec<RecordSet>,
}

/// All records sharing one name and type: together they answer one question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RecordSet {
    pub name: String,
    pub rtype: String,
    pub policy: RoutingPolicy,
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoutingPolicy {
    Simple,
    Geolocation,
    Geoproximity,
    Weighted,
    Latency,
    Failover,
    Multivalue,
    IpBased,
}

impl RoutingPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RoutingPolicy::Simple => "simple",
            RoutingPolicy::Geolocation => "geolocation",
            RoutingPolicy::Geoproximity => "geoproximity",
            RoutingPolicy::Weighted => "weighted",
            RoutingPolicy::Latency => "latency",
            RoutingPolicy::Failover => "failover",
            RoutingPolicy::Multivalue => "multivalue",
            RoutingPolicy::IpBased => "ip-based",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Record {
    pub set_identifier: Option<String>,
    /// Present on geolocation records.
    pub location: Option<GeoLocation>,
    /// The policy's own detail for other policies: "weight 10", "PRIMARY", "ap-northeast-1".
    pub policy_detail: Option<String>,
    pub answer: Answer,
    pub health_check_id: Option<String>,
    pub health: Health,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct GeoLocation {
    pub continent: Option<String>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
}

impl GeoLocation {
    /// Route53's default location, `CountryCode = *`.
    pub fn is_default(&self) -> bool {
        self.country.as_deref() == Some("*")
    }

    /// "*" (default), "CN", "continent EU", "US-CA".
    pub fn describe(&self) -> String {
        match (&self.continent, &self.country, &self.subdivision) {
            (_, Some(c), _) if c == "*" => "* (default)".to_string(),
            (_, Some(c), Some(s)) => format!("{c}-{s}"),
            (_, Some(c), None) => c.clone(),
            (Some(cont), None, _) => format!("continent {cont}"),
            (None, None, _) => "?".to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Answer {
    Values {
        ttl: u32,
        values: Vec<String>,
    },
    Alias {
        target: String,
        evaluate_health: bool,
    },
}

impl Answer {
    pub fn describe(&self) -> String {
        match self {
            Answer::Values { values, .. } => values.join(", "),
            Answer::Alias { target, .. } => format!("alias {target}"),
        }
    }

    /// The answer's value alone, as `c` copies it: the alias target or the record values,
    /// without the words around them.
    pub fn value(&self) -> String {
        match self {
            Answer::Values { values, .. } => values.join(", "),
            Answer::Alias { target, .. } => target.clone(),
        }
    }
}

/// Health of the endpoint behind an answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    Healthy,
    Unhealthy,
    /// A health check exists but its status could not be read.
    Unknown,
    /// No health check: Route53 always answers with it.
    NotChecked,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Unknown => "unknown",
            Health::NotChecked => "not checked",
        }
    }
}

impl RecordSet {
    /// A geolocation set without a `*` record leaves unmapped locations without an answer.
    pub fn lacks_default_location(&self) -> bool {
        self.policy == RoutingPolicy::Geolocation
            && !self
                .records
                .iter()
                .any(|r| r.location.as_ref().is_some_and(GeoLocation::is_default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(country: &str) -> Record {
        Record {
            set_identifier: Some(country.into()),
            location: Some(GeoLocation {
                continent: None,
                country: Some(country.into()),
                subdivision: None,
            }),
            policy_detail: None,
            answer: Answer::Values {
                ttl: 60,
                values: vec!["192.0.2.1".into()],
            },
            health_check_id: None,
            health: Health::NotChecked,
        }
    }

    #[test]
    fn detects_missing_default() {
        let mut set = RecordSet {
            name: "www.example.com.".into(),
            rtype: "A".into(),
            policy: RoutingPolicy::Geolocation,
            records: vec![geo("CN")],
        };
        assert!(set.lacks_default_location());
        set.records.push(geo("*"));
        assert!(!set.lacks_default_location());
        set.policy = RoutingPolicy::Weighted;
        set.records.truncate(1);
        assert!(!set.lacks_default_location());
    }

    #[test]
    fn locations_read_naturally() {
        let us_ca = GeoLocation {
            continent: None,
            country: Some("US".into()),
            subdivision: Some("CA".into()),
        };
        assert_eq!(us_ca.describe(), "US-CA");
        let eu = GeoLocation {
            continent: Some("EU".into()),
            country: None,
            subdivision: None,
        };
        assert_eq!(eu.describe(), "continent EU");
    }
}
