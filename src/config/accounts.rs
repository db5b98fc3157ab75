//! `[[account]]` and `[organization]`: the AWS accounts one console watches side by side.
//! Without either, the console watches the caller's own account, as it always has.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::{ConfigError, Source};

/// One watched account: reached through a profile of the AWS config files, or a role assumed
/// from the base credentials (session name `opsconsole`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// The label every row, problem, confirmation and journal entry of this account carries.
    pub name: String,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Given to `AssumeRole` when the role's trust policy asks for one.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Override the top-level `regions` for this account.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// Every ACTIVE account of the organization (`organizations:ListAccounts`, from the base
/// credentials), each reached by assuming `role_name` in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    pub role_name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    /// Only these account ids (empty: all).
    #[serde(default)]
    pub include: Vec<String>,
    /// Never these account ids.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Override the top-level `regions` for the organization's accounts.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// What `sts:AssumeRole` accepts as an external id: 2 to 1224 of `[\w+=,.@:/-]`.
pub fn is_external_id(id: &str) -> bool {
    (2..=1224).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c))
}

/// An IAM role name: 1 to 64 of `[\w+=,.@-]`.
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// A 12-digit AWS account id.
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.chars().all(|c| c.is_ascii_digit())
}

/// The account id of a role ARN (`arn:aws:iam::222222222222:role/Ops`), if it is one.
pub fn account_of_role(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let role = resource.strip_prefix("role/")?;
    (arn_ == "arn"
        && !partition.is_empty()
        && service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && !role.is_empty()
        && (20..=2048).contains(&arn.len()))
    .then_some(account)
}

#[derive(Deserialize)]
pub(super) struct LocatedAccount {
    name: Spanned<String>,
    profile: Option<Spanned<String>>,
    role_arn: Option<Spanned<String>>,
    external_id: Option<Spanned<String>>,
    #[serde(default)]
    regions: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
pub(super) struct LocatedOrganization {
    role_name: Spanned<String>,
    external_id: Option<Spanned<String>>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    regions: Vec<Spanned<String>>,
}

/// Each account has a unique name and exactly one way in; an organization's role and ids are
/// ones AWS would accept. Region lists are checked with the top-level ones' rule by the caller.
pub(super) fn check(
    src: Source<'_>,
    accounts: &[Spanned<LocatedAccount>],
    organization: Option<&LocatedOrganization>,
) -> Result<(), ConfigError> {
    let mut names = std::collections::HashMap::new();
    for entry in accounts {
        let a = entry.get_ref();
        let name = a.name.get_ref();
        let label = format!("[[account]] \"{}\"", name.escape_debug());
        if name.trim().is_empty() {
            return Err(src.error(a.name.span(), "[[account]] name", "empty name"));
        }
        if let Some(first) = names.insert(name.clone(), a.name.span()) {
            let line = super::error::line_col(src.text, first.start).0;
            return Err(src.error(
                a.name.span(),
                label,
                format!("another account has this name (line {line}); names must be unique"),
            ));
        }
        match (&a.profile, &a.role_arn) {
            (Some(_), Some(role)) => {
                return Err(src.error(role.span(), label, "give profile or role_arn, not both"));
            }
            (None, None) => {
                return Err(src.error(
                    entry.span(),
                    label,
                    "needs a profile (\"profile = ...\") or a role to assume (\"role_arn = ...\")",
                ));
            }
            (Some(p), None) if p.get_ref().trim().is_empty() => {
                return Err(src.error(p.span(), label, "empty profile name"));
            }
            (None, Some(role)) if account_of_role(role.get_ref()).is_none() => {
                return Err(src.error(
                    role.span(),
                    label,
                    format!(
                        "\"{}\" is not an IAM role ARN (like \"arn:aws:iam::222222222222:role/OpsConsole\")",
                        role.get_ref().escape_debug()
                    ),
                ));
            }
            _ => {}
        }
        check_regions(src, &a.regions, &label)?;
        if let Some(id) = &a.external_id {
            if a.role_arn.is_none() {
                return Err(src.error(
                    id.span(),
                    label,
                    "external_id is given when assuming role_arn; a profile sets its own",
                ));
            }
            check_external_id(src, id, &label)?;
        }
    }
    if let Some(org) = organization {
        let label = "[organization]";
        if !is_role_name(org.role_name.get_ref()) {
            return Err(src.error(
                org.role_name.span(),
                label,
                "role_name is an IAM role name (1 to 64 letters, digits or _+=,.@-), not an ARN",
            ));
        }
        if let Some(id) = &org.external_id {
            check_external_id(src, id, label)?;
        }
        check_regions(src, &org.regions, label)?;
        for id in org.include.iter().chain(&org.exclude) {
            if !is_account_id(id.get_ref()) {
                return Err(src.error(
                    id.span(),
                    label,
                    format!(
                        "\"{}\" is not an account id (12 digits)",
                        id.get_ref().escape_debug()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_regions(
    src: Source<'_>,
    regions: &[Spanned<String>],
    label: &str,
) -> Result<(), ConfigError> {
    match regions
        .iter()
        .find(|r| !super::settings::looks_like_region(r.get_ref()))
    {
        Some(r) => Err(src.error(
            r.span(),
            label,
            format!(
                "\"{}\" is not an AWS region name (like \"eu-west-1\")",
                r.get_ref().escape_debug()
            ),
        )),
        None => Ok(()),
    }
}

fn check_external_id(
    src: Source<'_>,
    id: &Spanned<String>,
    label: &str,
) -> Result<(), ConfigError> {
    if is_external_id(id.get_ref()) {
        return Ok(());
    }
    Err(src.error(
        id.span(),
        label,
        "AssumeRole accepts an external_id of 2 to 1224 letters, digits or _+=,.@:/-",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_arn_names_its_account() {
        assert_eq!(
            account_of_role("arn:aws:iam::222222222222:role/OpsConsole"),
            Some("222222222222")
        );
        assert_eq!(
            account_of_role("arn:aws-cn:iam::222222222222:role/path/Ops"),
            Some("222222222222")
        );
        assert_eq!(account_of_role("arn:aws:iam::2222:role/Ops"), None);
        assert_eq!(account_of_role("arn:aws:iam::222222222222:user/Ops"), None);
        assert_eq!(account_of_role("arn:aws:sts::222222222222:role/Ops"), None);
        assert_eq!(account_of_role("OpsConsole"), None);
    }

    #[test]
    fn external_ids_and_role_names_as_aws_accepts_them() {
        assert!(is_external_id("ops-console:2026"));
        assert!(!is_external_id("x"));
        assert!(!is_external_id("has space"));
        assert!(is_role_name("OrganizationAccountAccessRole"));
        assert!(!is_role_name("arn:aws:iam::1:role/x"));
        assert!(!is_role_name(&"r".repeat(65)));
    }
}
