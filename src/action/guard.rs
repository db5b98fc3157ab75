//! The last check before a block reaches AWS, whatever asked for it: a key, a file, a timer.
//! The dialog refuses the same things first and says why; this layer makes sure nothing that
//! bypasses the dialog (a planted state file, a future code path) can write a range, a
//! protected address or one of our own.

use super::{Done, Executor, Failed, Mutation};
use crate::model::WafView;
use crate::model::address::{self, OwnRange};
use crate::source::{Session, Source, SourceError};
use futures::future::BoxFuture;
use ipnet::IpNet;
use std::sync::{Arc, RwLock};

/// Our own ranges (VPCs, NAT gateways' addresses) as the WAF source last read them; `None`
/// until it has, and then a block is refused rather than checked against nothing.
#[derive(Default)]
pub struct OwnRanges(RwLock<Option<Vec<OwnRange>>>);

impl OwnRanges {
    pub fn set(&self, ranges: Vec<OwnRange>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(ranges);
    }

    /// Our own ranges as `view` has them; unknown while a region's were never read (a block
    /// there could be one of ours).
    pub fn note(&self, view: &WafView) {
        let never_read = view.own_ranges_unknown().is_some();
        *self.0.write().unwrap_or_else(|e| e.into_inner()) =
            (!never_read).then(|| own_ranges_of(view));
    }

    fn get(&self) -> Option<Vec<OwnRange>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Refuses any block that is not of one canonical address, that `[waf] never_block`
/// protects, that is internal, or that is one of our own ranges.
pub struct Guarded {
    inner: Arc<dyn Executor>,
    never_block: Vec<IpNet>,
    own: Arc<OwnRanges>,
}

impl Guarded {
    pub fn new(inner: Arc<dyn Executor>, never_block: Vec<IpNet>, own: Arc<OwnRanges>) -> Self {
        Guarded {
            inner,
            never_block,
            own,
        }
    }

    /// Why `mutation` must not be carried out, if it must not.
    pub fn refusal(&self, mutation: &Mutation) -> Option<String> {
        let Mutation::Block { address: cidr, .. } = mutation else {
            return None;
        };
        if let Some(why) = address::not_one_address(cidr) {
            return Some(why);
        }
        let address = address::canonical_cidr(cidr)?.addr();
        let Some(own) = self.own.get() else {
            return Some(
                "our own VPC ranges and NAT addresses are not read yet: try again after the WAF panel's next refresh"
                    .to_string(),
            );
        };
        address::never_blocked(address, &self.never_block, &own)
    }
}

impl Executor for Guarded {
    fn execute<'a>(&'a self, mutation: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
        Box::pin(async move {
            if let Some(why) = self.refusal(mutation) {
                tracing::warn!(mutation = %mutation.summary(), refused = %why, "block refused");
                return Err(Failed::new(format!("not done: {why}")));
            }
            self.inner.execute(mutation).await
        })
    }
}

/// The WAF source, noting our own ranges from every view it reads for the guard.
struct NotingOwnRanges {
    inner: Arc<dyn Source<WafView>>,
    own: Arc<OwnRanges>,
}

impl Source<WafView> for NotingOwnRanges {
    fn fetch(&self) -> BoxFuture<'_, Result<WafView, SourceError>> {
        Box::pin(async move {
            let view = self.inner.fetch().await?;
            self.own.note(&view);
            Ok(view)
        })
    }
}

/// Our own ranges in a WAF view (VPCs, NAT gateways' Elastic IPs), as the block checks take them.
pub fn own_ranges_of(view: &WafView) -> Vec<OwnRange> {
    view.own_ranges.clone()
}

/// `session` with every block it executes checked by [`Guarded`] (an executor-less session is
/// returned as it is).
pub fn guarded(mut session: Session, never_block: Vec<IpNet>) -> Session {
    let Some(inner) = session.executor.take() else {
        return session;
    };
    let own = Arc::new(OwnRanges::default());
    session.sources.waf = Arc::new(NotingOwnRanges {
        inner: session.sources.waf.clone(),
        own: own.clone(),
    });
    session.executor = Some(Arc::new(Guarded::new(inner, never_block, own)));
    session
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::IpSetRef;
    use crate::model::WafScope;

    struct Nothing;
    impl Executor for Nothing {
        fn execute<'a>(&'a self, _: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
            Box::pin(async { Ok(Done::new("done")) })
        }
    }

    fn block(address: &str) -> Mutation {
        Mutation::Block {
            set: IpSetRef {
                account: None,
                region: "us-east-1".into(),
                scope: WafScope::Regional,
                name: "blocked".into(),
                id: "id".into(),
                arn: "arn:set".into(),
                web_acl: "acl".into(),
            },
            address: address.into(),
            until: None,
        }
    }

    #[test]
    fn every_block_is_checked_again_whatever_asked_for_it() {
        let own = Arc::new(OwnRanges::default());
        let office = vec!["203.0.113.0/24".parse().unwrap()];
        let g = Guarded::new(Arc::new(Nothing), office, own.clone());
        // Before our own ranges are known, nothing is blocked.
        assert!(g.refusal(&block("198.51.100.9/32")).is_some());
        own.set(vec![OwnRange {
            cidr: "198.51.100.200/32".into(),
            what: "NAT gateway nat-1's address in us-east-1".into(),
        }]);
        assert_eq!(g.refusal(&block("198.51.100.9/32")), None);
        // A region whose own addresses were never read makes them unknown again.
        let mut view = WafView {
            acls: vec![],
            window_minutes: 15,
            unreadable: vec![crate::model::Unreadable {
                account: None,
                place: format!("{} (us-east-1)", crate::model::waf::OWN_RANGES),
                error: "DescribeNatGateways: AccessDenied".into(),
                data_from: None,
            }],
            own_ranges: vec![OwnRange {
                cidr: "198.51.100.200/32".into(),
                what: "NAT gateway nat-1's address in us-east-1".into(),
            }],
            ..Default::default()
        };
        own.note(&view);
        assert!(g.refusal(&block("198.51.100.9/32")).is_some());
        view.unreadable.clear();
        own.note(&view);
        assert_eq!(g.refusal(&block("198.51.100.9/32")), None);
        // Several accounts: a region of one account whose own addresses were never read, or
        // an account never read at all, makes them unknown just the same.
        let prod = crate::model::AccountRef {
            id: "222222222222".into(),
            name: "prod".into(),
        };
        for place in [
            format!(
                "{} {} (eu-west-1)",
                prod.label(),
                crate::model::waf::OWN_RANGES
            ),
            prod.label(),
        ] {
            view.unreadable = vec![crate::model::Unreadable {
                place,
                error: "AccessDenied".into(),
                data_from: None,
                account: Some(prod.clone()),
            }];
            own.note(&view);
            assert!(g.refusal(&block("198.51.100.9/32")).is_some(), "{view:?}");
        }
        // An account read before and failing now keeps what it read.
        view.unreadable[0].data_from = Some(chrono::Utc::now());
        own.note(&view);
        assert_eq!(g.refusal(&block("198.51.100.9/32")), None);
        for refused in [
            "0.0.0.0/1",
            "198.51.100.9/24",
            "203.0.113.10/32",
            "::ffff:203.0.113.10/128",
            "10.0.0.5/32",
            "198.51.100.200/32",
        ] {
            assert!(g.refusal(&block(refused)).is_some(), "{refused} passed");
        }
    }
}
