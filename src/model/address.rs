//! Client addresses with one meaning: every check, comparison and write goes through
//! [`canonical`], so `::ffff:203.0.113.10` is `203.0.113.10` and `2001:0DB8::1` is
//! `2001:db8::1` wherever the console looks (the app's dialog and the executor's re-check alike).

use ipnet::IpNet;
use std::net::IpAddr;

/// The address as WAF matches it: an IPv4-mapped IPv6 address (how dual-stack servers log
/// IPv4 clients) is the IPv4 address; everything else as parsed (parsing already ignores case
/// and zero padding).
pub fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Parses an address from remote text (a sample's client, a log field), canonically; IPv6
/// brackets are accepted.
pub fn parse(text: &str) -> Option<IpAddr> {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
        .map(canonical)
}

/// The CIDR WAF keeps for one address: "/32", or "/128" for IPv6.
pub fn cidr_of(address: IpAddr) -> String {
    match canonical(address) {
        IpAddr::V4(a) => format!("{a}/32"),
        IpAddr::V6(a) => format!("{a}/128"),
    }
}

/// A CIDR as written in an IP set or a mutation, canonically: "192.0.2.1/32", "2001:db8::1/128".
/// An IPv4-mapped /128 is the IPv4 /32. `None` if it does not parse.
pub fn canonical_cidr(text: &str) -> Option<IpNet> {
    let net: IpNet = text.trim().parse().ok()?;
    Some(match net {
        IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).unwrap_or(net)
            }
            _ => net,
        },
        v4 => v4,
    })
}

/// The same range, however written (case, zero padding, a mapped form, stray spaces).
pub fn same_cidr(a: &str, b: &str) -> bool {
    match (canonical_cidr(a), canonical_cidr(b)) {
        (Some(x), Some(y)) => x.trunc() == y.trunc(),
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// Ranges a load balancer, a proxy or the VPC itself speaks from (every range AWS lets a VPC
/// use but the rare publicly routable ones, plus loopback and link-local): blocking one would
/// block our own infrastructure, never an attacker.
const INTERNAL: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "198.18.0.0/15",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "0.0.0.0/8",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
];

/// A range of our own that no block may touch: a VPC's CIDR, a NAT gateway's Elastic IP.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct OwnRange {
    pub cidr: String,
    /// "VPC vpc-0abc in ap-northeast-1", "NAT gateway nat-0abc's Elastic IP in us-east-1".
    pub what: String,
}

/// Why `address` must never be blocked, if it must not: `[waf] never_block`, an internal
/// range, or one of our own ranges. The address is made canonical first, so a mapped form
/// cannot slip past a range written for IPv4.
pub fn never_blocked(address: IpAddr, never_block: &[IpNet], own: &[OwnRange]) -> Option<String> {
    let address = canonical(address);
    if let Some(net) = never_block.iter().find(|n| contains(n, address)) {
        return Some(format!(
            "{address} is inside {net}, which [waf] never_block protects"
        ));
    }
    if let Some(r) = own
        .iter()
        .find(|r| canonical_cidr(&r.cidr).is_some_and(|n| n.contains(&address)))
    {
        return Some(format!(
            "{address} is inside {}, the range of {}: our own load balancers, proxies and egress speak from there",
            r.cidr, r.what
        ));
    }
    INTERNAL
        .iter()
        .filter_map(|n| n.parse::<IpNet>().ok())
        .find(|n| n.contains(&address))
        .map(|net| {
            format!(
                "{address} is an internal address ({net}: a VPC, load balancer or proxy range): blocking it would block our own infrastructure; the client is in the line's proxy-protocol or X-Forwarded-For field"
            )
        })
}

/// Whether `net` (as configured, perhaps written as a mapped IPv6 range) holds `address`.
fn contains(net: &IpNet, address: IpAddr) -> bool {
    canonical_cidr(&net.to_string()).is_some_and(|n| n.contains(&address))
}

/// Why the CIDR a block would add is not a block of one address, if it is not: only a /32 or a
/// /128 of a canonical address is ever written (a wider range would block bystanders).
pub fn not_one_address(cidr: &str) -> Option<String> {
    let Some(net) = canonical_cidr(cidr) else {
        return Some(format!("{cidr} is not an address range"));
    };
    if net.prefix_len() != net.max_prefix_len() {
        return Some(format!(
            "{cidr} is a range of {} addresses, not one address: the console blocks single addresses only (/32 or /128)",
            if net.max_prefix_len() == 32 {
                (1u64 << (32 - net.prefix_len())).to_string()
            } else {
                "many".to_string()
            }
        ));
    }
    if net.to_string() != cidr.trim() {
        return Some(format!(
            "{cidr} is not written canonically ({net}): the console writes addresses one way only"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_ipv4_address_is_the_ipv4_address() {
        let office: Vec<IpNet> = vec!["203.0.113.0/24".parse().unwrap()];
        let mapped: IpAddr = "::ffff:203.0.113.10".parse().unwrap();
        let why = never_blocked(mapped, &office, &[]).unwrap();
        assert!(
            why.contains("203.0.113.10 is inside 203.0.113.0/24"),
            "{why}"
        );
        assert_eq!(cidr_of(mapped), "203.0.113.10/32");
        assert_eq!(parse("[::FFFF:198.51.100.7]"), "198.51.100.7".parse().ok());
        // A never-block range written in the mapped form still protects the IPv4 address.
        let mapped_office: Vec<IpNet> = vec!["::ffff:203.0.113.0/120".parse().unwrap()];
        assert!(never_blocked("203.0.113.9".parse().unwrap(), &mapped_office, &[]).is_some());
    }

    #[test]
    fn ipv6_is_compared_however_it_is_written() {
        assert_eq!(
            cidr_of("2001:0DB8:0000::0001".parse().unwrap()),
            "2001:db8::1/128"
        );
        assert!(same_cidr("2001:0DB8::1/128", "2001:db8::1/128"));
        assert!(same_cidr("::ffff:192.0.2.1/128", "192.0.2.1/32"));
        assert!(!same_cidr("192.0.2.1/32", "192.0.2.2/32"));
    }

    #[test]
    fn internal_own_and_protected_ranges_are_never_blocked() {
        let office: Vec<IpNet> = vec!["203.0.113.0/24".parse().unwrap()];
        assert!(never_blocked("10.0.20.15".parse().unwrap(), &office, &[]).is_some());
        assert!(never_blocked("::ffff:10.0.0.1".parse().unwrap(), &office, &[]).is_some());
        assert!(never_blocked("fd00::1".parse().unwrap(), &office, &[]).is_some());
        let nat = OwnRange {
            cidr: "198.51.100.200/32".into(),
            what: "NAT gateway nat-1's Elastic IP in us-east-1".into(),
        };
        let why = never_blocked("198.51.100.200".parse().unwrap(), &[], &[nat]).unwrap();
        assert!(why.contains("NAT gateway nat-1"), "{why}");
        assert_eq!(
            never_blocked("198.51.100.77".parse().unwrap(), &office, &[]),
            None
        );
    }

    #[test]
    fn only_one_canonical_address_is_a_block() {
        assert_eq!(not_one_address("192.0.2.44/32"), None);
        assert_eq!(not_one_address("2001:db8::1/128"), None);
        assert!(not_one_address("0.0.0.0/1").is_some());
        assert!(not_one_address("198.51.100.9/24").is_some());
        assert!(not_one_address("2001:DB8::1/128").is_some());
        assert!(not_one_address("::ffff:192.0.2.1/128").is_some());
        assert!(not_one_address("nonsense").is_some());
    }
}
